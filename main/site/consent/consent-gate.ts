// Consent at ingest: after the engine has named a file's patient (the pseudonym is the HMAC of its
// Patient ID, as the register's), a patient who is not in is not released into the research store.
// The file is recorded as excluded, by pseudonym, with the reason; the caller deletes the identified
// copy. At the end of a run, one audit entry sums up the exclusions, and any patient stored during
// the run who went out meanwhile (a withdrawal from another process) is purged.
import type { AuditLog } from '../audit/index.ts';
import type { PurgeResult } from './purge.ts';
import type { SiteConsent } from './site-consent.ts';

export interface GateInput {
  inputSha256: string;
  pseudonym: string;
  /** De-identified Study Instance UID. */
  studyUid: string | null;
  runId: number;
}

export interface GateSummary {
  excluded: number;
  purged: PurgeResult[];
}

export class ConsentGate {
  readonly #consent: SiteConsent;
  readonly #excluded = new Map<string, { files: number; studies: Set<string>; reason: string }>();
  readonly #admitted = new Set<string>();
  #files = 0;

  constructor(consent: SiteConsent) {
    this.#consent = consent;
  }

  /** Null when the patient is in (the file may be stored); otherwise the reason, already recorded. */
  check(input: GateInput): string | null {
    const decision = this.#consent.register.decide(input.pseudonym);
    if (decision.in) return null;
    const reason = decision.reason ?? 'not in by consent';
    this.#consent.exclusions.record({ ...input, reason });
    const entry = this.#excluded.get(input.pseudonym) ?? { files: 0, studies: new Set<string>(), reason };
    entry.files += 1;
    if (input.studyUid) entry.studies.add(input.studyUid);
    this.#excluded.set(input.pseudonym, entry);
    this.#files += 1;
    return reason;
  }

  /** The file was stored: its patient is in, and any earlier exclusion of it no longer holds. */
  admitted(inputSha256: string, pseudonym: string): void {
    this.#consent.exclusions.clear(inputSha256);
    this.#admitted.add(pseudonym);
  }

  /** Writes the run's `consent.excluded` audit entry (when any file was excluded) and re-checks. */
  async finish(runId: number, audit: AuditLog, actor: string): Promise<GateSummary> {
    if (this.#files > 0) {
      audit.append({
        type: 'consent.excluded',
        actor,
        detail: {
          runId,
          policy: this.#consent.policy,
          files: this.#files,
          patients: [...this.#excluded.entries()].map(([pseudonym, e]) => ({
            pseudonym,
            files: e.files,
            studies: e.studies.size,
            reason: e.reason,
          })),
        },
      });
    }
    const purged = await this.#consent.enforce(this.#admitted, { cause: 'ingest.recheck', runId });
    return { excluded: this.#files, purged };
  }
}
