// The consent register: each patient's consent history, by keyed pseudonym (the de-identification
// engine's HMAC of the Patient ID with the site secret, so entries match research-store patients and
// files at ingest). A raw patient ID is hashed on the way in and never stored, logged or returned.
import type { Database, Statement } from 'better-sqlite3';
import { patientPseudonym } from '../deid/index.ts';
import { ConsentError } from './consent-error.ts';
import { PSEUDONYM_PATTERN } from '../../../shared/site-rules.ts';
import {
  decideConsent,
  normalizeScope,
  type ConsentDecision,
  type ConsentFact,
  type ConsentStatus,
  type SiteConsentPolicy,
} from './consent-policy.ts';

export type ConsentSource = 'import' | 'set' | 'withdraw';

export interface NewConsentEntry {
  pseudonym: string;
  status: ConsentStatus;
  /** YYYY-MM-DD */
  date: string;
  /** '' (or left out) speaks for every use. */
  scope?: string;
}

export interface ConsentEntry extends ConsentFact {
  pseudonym: string;
  source: ConsentSource;
  recordedAt: string;
}

/** A patient as `list` shows them: pseudonym, the entry in force for the site's use, in or out. */
export interface ConsentPatient {
  pseudonym: string;
  decision: ConsentDecision;
  /** Date of the latest entry of any scope. */
  lastDate: string;
  entries: number;
}

export interface ConsentRegisterOptions {
  secret: Uint8Array;
  policy: SiteConsentPolicy;
  /** The site's consent scope: the use decided when a caller names none. */
  scope?: string;
  clock?: () => Date;
}

/** A use: a scope, `undefined` for the site's own scope, `null` for no declared scope. */
export type ConsentUse = string | null | undefined;

interface EntryRow {
  id: number;
  pseudonym: string;
  status: ConsentStatus;
  date: string;
  scope: string;
  source: ConsentSource;
  recorded_at: string;
}

const PSEUDONYM = PSEUDONYM_PATTERN; // shared with the consent:history request (shared/ipc)

const toEntry = (row: EntryRow): ConsentEntry => ({
  id: row.id,
  pseudonym: row.pseudonym,
  status: row.status,
  date: row.date,
  scope: row.scope,
  source: row.source,
  recordedAt: row.recorded_at,
});

export class ConsentRegister {
  readonly policy: SiteConsentPolicy;
  readonly #db: Database;
  readonly #secret: Uint8Array;
  readonly #siteScope: string;
  readonly #now: () => string;
  readonly #historyOf: Statement<[string], EntryRow>;

  constructor(db: Database, options: ConsentRegisterOptions) {
    this.#db = db;
    this.#secret = options.secret;
    this.policy = options.policy;
    this.#siteScope = normalizeScope(options.scope);
    const clock = options.clock ?? (() => new Date());
    this.#now = () => clock().toISOString();
    // Asked once per ingested file: prepared once.
    this.#historyOf = db.prepare<[string], EntryRow>(
      'SELECT * FROM consent_entries WHERE pseudonym = ? ORDER BY date, id',
    );
  }

  /** The pseudonym a Patient ID gets in the research store (trimmed, as the engine reads it). */
  pseudonymOf(patientId: string): string {
    const id = patientId.trim();
    if (id === '')
      throw new ConsentError('bad-entry', 'The patient ID is empty. Give the ID as the hospital records it.');
    return patientPseudonym(this.#secret, id);
  }

  static isPseudonym(value: string): boolean {
    return PSEUDONYM.test(value);
  }

  /**
   * Records entries in one transaction: all or none. An imported entry identical to one already
   * recorded (the same export imported again) is skipped, not doubled; an operator's `set` or
   * `withdraw` is always recorded, and on one date the entry recorded last is the one in force.
   */
  record(
    entries: readonly NewConsentEntry[],
    source: ConsentSource,
  ): { added: ConsentEntry[]; skipped: number } {
    const exists = this.#db
      .prepare<[string, string, string, string], number>(
        'SELECT 1 FROM consent_entries WHERE pseudonym = ? AND scope = ? AND date = ? AND status = ?',
      )
      .pluck();
    const insert = this.#db.prepare<[string, string, string, string, string, string], EntryRow>(
      `INSERT INTO consent_entries (pseudonym, status, date, scope, source, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    const now = this.#now();
    return this.#db
      .transaction(() => {
        const added: ConsentEntry[] = [];
        for (const entry of entries) {
          if (!PSEUDONYM.test(entry.pseudonym)) {
            throw new ConsentError('bad-entry', 'A consent entry must name its patient by pseudonym.');
          }
          const scope = normalizeScope(entry.scope);
          if (source === 'import' && exists.get(entry.pseudonym, scope, entry.date, entry.status)) continue;
          const row = insert.get(entry.pseudonym, entry.status, entry.date, scope, source, now);
          if (row !== undefined) added.push(toEntry(row));
        }
        return { added, skipped: entries.length - added.length };
      })
      .immediate();
  }

  /** A patient's whole history, oldest first (by date, then order of recording). */
  history(pseudonym: string): ConsentEntry[] {
    return this.#historyOf.all(pseudonym).map(toEntry);
  }

  /** Whether a patient is in for a use (default: the site's scope), with the status and reason. */
  decide(pseudonym: string, use?: ConsentUse): ConsentDecision {
    return decideConsent(this.policy, this.history(pseudonym), this.#scopeOf(use));
  }

  /** "Is this patient in?" for a pseudonym: a research-store patient, a cohort candidate. */
  isPatientIn(pseudonym: string, use?: ConsentUse): boolean {
    return this.decide(pseudonym, use).in;
  }

  /** "Is this patient in?" for an identified file's Patient ID. */
  isPatientIdIn(patientId: string, use?: ConsentUse): boolean {
    return this.isPatientIn(this.pseudonymOf(patientId), use);
  }

  /** The research-store patients who are in for a use, sorted: what a cohort or round may draw on. */
  consentedPseudonyms(use?: ConsentUse): string[] {
    const patients = this.#db
      .prepare<[], string>('SELECT pseudonym FROM patients ORDER BY pseudonym')
      .pluck()
      .all();
    const histories = this.#histories('SELECT e.* FROM consent_entries e JOIN patients p USING (pseudonym)');
    const scope = this.#scopeOf(use);
    return patients.filter((p) => decideConsent(this.policy, histories.get(p) ?? [], scope).in);
  }

  /** Of these pseudonyms, those who are out for the site's use. */
  outOf(pseudonyms: Iterable<string>): string[] {
    const histories = this.#histories('SELECT * FROM consent_entries');
    return [...new Set(pseudonyms)].filter(
      (p) => !decideConsent(this.policy, histories.get(p) ?? [], this.#siteScope).in,
    );
  }

  /** Every patient the register has an entry for, by pseudonym, with the decision for the site's use. */
  patients(): ConsentPatient[] {
    const histories = this.#histories('SELECT * FROM consent_entries');
    return [...histories.entries()]
      .map(([pseudonym, facts]) => ({
        pseudonym,
        decision: decideConsent(this.policy, facts, this.#siteScope),
        lastDate: facts.reduce((max, f) => (f.date > max ? f.date : max), ''),
        entries: facts.length,
      }))
      .sort((a, b) => a.pseudonym.localeCompare(b.pseudonym));
  }

  #scopeOf(use: ConsentUse): string {
    return use === undefined ? this.#siteScope : normalizeScope(use);
  }

  #histories(sql: string): Map<string, ConsentEntry[]> {
    const map = new Map<string, ConsentEntry[]>();
    for (const row of this.#db.prepare<[], EntryRow>(sql).iterate()) {
      const list = map.get(row.pseudonym) ?? [];
      list.push(toEntry(row));
      map.set(row.pseudonym, list);
    }
    return map;
  }
}
