// Who is in: the site's policy applied to a patient's consent history. Pure functions, so the rule is
// stated (and tested) once, and the register, ingest and the cohort all answer alike.
//
// The rule:
// - The entry in force is the latest dated one; on one date, the one recorded last.
// - An entry without a scope speaks for every use; an entry with a scope ("chest imaging research")
//   speaks only for that use.
// - A use with a scope is decided by the entries without a scope and those with its scope.
// - A use without a scope is decided by the entries without a scope, and a refusal or withdrawal in
//   force for any scope also keeps the patient out: nobody can show such a use falls outside it.
// - opt-in: in only when the entry in force is `granted`. opt-out: in unless it is `refused` or
//   `withdrawn`. A site made before the policy was chosen (`not-set`) is read as opt-out, so every
//   refusal and withdrawal recorded still takes effect.

export const CONSENT_STATUSES = ['granted', 'refused', 'withdrawn'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export const CONSENT_POLICIES = ['opt-in', 'opt-out'] as const;
export type ConsentPolicy = (typeof CONSENT_POLICIES)[number];
/** What site.json may hold: a site made before the consent register has 'not-set'. */
export type SiteConsentPolicy = ConsentPolicy | 'not-set';

export const MAX_SCOPE_LENGTH = 200;

/** One entry of a patient's consent history, as the decision needs it. */
export interface ConsentFact {
  status: ConsentStatus;
  /** YYYY-MM-DD */
  date: string;
  /** Normalised scope; '' when the entry speaks for every use. */
  scope: string;
  /** Order of recording: breaks ties between entries of one date. */
  id: number;
}

export interface ConsentDecision {
  in: boolean;
  /** The status in force for this use, or null when the register has no entry for it. */
  status: ConsentStatus | null;
  /** Why the patient is out, in words without any identifier or date; null when in. */
  reason: string | null;
}

/** Scopes compare without regard to case or spacing: "Chest  imaging Research" is "chest imaging research". */
export function normalizeScope(scope: string | null | undefined): string {
  return (scope ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
}

export function isConsentStatus(value: string): value is ConsentStatus {
  return (CONSENT_STATUSES as readonly string[]).includes(value);
}

export function isConsentPolicy(value: string): value is ConsentPolicy {
  return (CONSENT_POLICIES as readonly string[]).includes(value);
}

const later = (a: ConsentFact, b: ConsentFact): boolean =>
  a.date > b.date || (a.date === b.date && a.id > b.id);

function latest(facts: readonly ConsentFact[], accept: (fact: ConsentFact) => boolean): ConsentFact | null {
  let best: ConsentFact | null = null;
  for (const fact of facts) if (accept(fact) && (best === null || later(fact, best))) best = fact;
  return best;
}

const isOut = (status: ConsentStatus | undefined) => status === 'refused' || status === 'withdrawn';

/** Decides whether one patient, with this history, is in for a use with `scope` ('' = none declared). */
export function decideConsent(
  policy: SiteConsentPolicy,
  facts: readonly ConsentFact[],
  scope: string,
): ConsentDecision {
  const use = normalizeScope(scope);
  const inForce = latest(facts, (f) => f.scope === '' || f.scope === use);
  if (inForce && isOut(inForce.status)) {
    return { in: false, status: inForce.status, reason: outReason(inForce) };
  }
  if (use === '') {
    for (const other of new Set(facts.map((f) => f.scope).filter((s) => s !== ''))) {
      const scoped = latest(facts, (f) => f.scope === '' || f.scope === other);
      if (scoped && isOut(scoped.status)) {
        return { in: false, status: scoped.status, reason: outReason(scoped) };
      }
    }
  }
  const status = inForce?.status ?? null;
  if (policy === 'opt-in' && status !== 'granted') {
    const reason =
      use === ''
        ? 'no consent granted (this site is opt-in)'
        : `no consent granted for "${use}" (this site is opt-in)`;
    return { in: false, status, reason };
  }
  return { in: true, status, reason: null };
}

function outReason(fact: ConsentFact): string {
  const what = fact.status === 'refused' ? 'consent refused' : 'consent withdrawn';
  return fact.scope === '' ? what : `${what} for "${fact.scope}"`;
}
