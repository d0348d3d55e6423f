// A site's consent operations, as `radfed site consent …` and the app call them: import an export,
// set one entry, withdraw, list and show. Every change is recorded with its audit entry in one
// transaction; a change that puts a patient with data out (a withdrawal, a refusal after a grant)
// purges that data at once.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { AuditLog, commandActor, type AuditDetail } from '../audit/index.ts';
import { localDate, latestConsentDate } from './consent-dates.ts';
import { checkConsentDate, readConsentCsv, type ConsentRow } from './consent-csv.ts';
import { ConsentError } from './consent-error.ts';
import { ConsentExclusions } from './consent-exclusions.ts';
import { findIdentifiedCopies, type IdentifiedCopies } from './identified-copies.ts';
import {
  CONSENT_STATUSES,
  MAX_SCOPE_LENGTH,
  normalizeScope,
  type ConsentStatus,
  type SiteConsentPolicy,
} from './consent-policy.ts';
import { ConsentRegister, type ConsentPatient, type ConsentUse } from './consent-register.ts';
import {
  withdrawMessage,
  type ImportReport,
  type PatientConsentView,
  type SetReport,
  type WithdrawReport,
} from './consent-reports.ts';
import {
  holdsDataOf,
  pseudonymsWithData,
  purgePatientData,
  roundsThatUsed,
  type PurgeResult,
} from './purge.ts';

const NO_COPIES: IdentifiedCopies = { byPseudonym: new Map(), unreadable: 0, unreadableFolders: 0 };

/** What the consent register needs of a site (an open `Site` has all of it). */
export interface ConsentSite {
  directory: string;
  paths: { research: string; quarantine: string };
  database: Database;
  config: { consentPolicy: SiteConsentPolicy; consentScope?: string | undefined };
  secret: Uint8Array;
}

export interface SiteConsentOptions {
  clock?: () => Date;
  /** Recorded as the actor of audit entries. */
  actor?: string;
  logger?: Logger;
}

export class SiteConsent {
  readonly register: ConsentRegister;
  readonly exclusions: ConsentExclusions;
  readonly #site: ConsentSite;
  readonly #audit: AuditLog;
  readonly #clock: () => Date;
  readonly #actor: string;
  readonly #log: Logger | undefined;

  constructor(site: ConsentSite, options: SiteConsentOptions = {}) {
    this.#site = site;
    this.#clock = options.clock ?? (() => new Date());
    this.#actor = options.actor ?? commandActor();
    this.#log = options.logger?.child({ component: 'consent' });
    this.#audit = new AuditLog(site.database, this.#clock);
    this.register = new ConsentRegister(site.database, {
      secret: site.secret,
      policy: site.config.consentPolicy,
      scope: site.config.consentScope,
      clock: this.#clock,
    });
    this.exclusions = new ConsentExclusions(site.database, this.#clock);
  }

  get policy(): SiteConsentPolicy {
    return this.register.policy;
  }

  isPatientIn(pseudonym: string, use?: ConsentUse): boolean {
    return this.register.isPatientIn(pseudonym, use);
  }

  consentedPseudonyms(use?: ConsentUse): string[] {
    return this.register.consentedPseudonyms(use);
  }

  /** Imports a consent export (`patient_id,status,date[,scope]`): all rows or, on any problem, none. */
  async importCsv(path: string): Promise<ImportReport> {
    const bytes = await readConsentFile(path);
    const csv = readConsentCsv(bytes, 'decisions', latestConsentDate(this.#clock()));
    const entries = csv.rows.map((row) => this.#entryOf(row));
    const byStatus = Object.fromEntries(CONSENT_STATUSES.map((s) => [s, 0])) as Record<ConsentStatus, number>;
    const { added, skipped } = this.#site.database
      .transaction(() => {
        const result = this.register.record(entries, 'import');
        for (const entry of result.added) byStatus[entry.status] += 1;
        this.#audit.append({
          type: 'consent.imported',
          actor: this.#actor,
          detail: {
            fileSha256: createHash('sha256').update(bytes).digest('hex'),
            encoding: csv.encoding,
            rows: csv.rows.length,
            added: result.added.length,
            alreadyRecorded: result.skipped,
            byStatus,
            changes: result.added.map((e) => [e.pseudonym, e.status, e.date, e.scope]),
          },
        });
        return result;
      })
      .immediate();
    this.#log?.info(
      { rows: csv.rows.length, added: added.length, alreadyRecorded: skipped },
      'consent imported',
    );
    const purged = await this.enforce(
      added.map((e) => e.pseudonym),
      { cause: 'consent.imported' },
    );
    return {
      rows: csv.rows.length,
      added: added.length,
      alreadyRecorded: skipped,
      encoding: csv.encoding,
      byStatus,
      purged,
    };
  }

  /** Records one decision (default date: today). */
  async set(input: {
    patientId: string;
    status: ConsentStatus;
    date?: string;
    scope?: string;
  }): Promise<SetReport> {
    const pseudonym = this.register.pseudonymOf(input.patientId);
    const date = this.#checkedDate(input.date);
    const scope = checkedScope(input.scope);
    const entry = this.#site.database
      .transaction(() => {
        const [recorded] = this.register.record(
          [{ pseudonym, status: input.status, date, scope }],
          'set',
        ).added;
        if (recorded === undefined) throw new Error('the consent entry was not recorded');
        this.#audit.append({
          type: 'consent.set',
          actor: this.#actor,
          detail: { pseudonym, status: recorded.status, date, scope: recorded.scope },
        });
        return recorded;
      })
      .immediate();
    const [purged] = await this.enforce([pseudonym], { cause: 'consent.set' });
    return { pseudonym, entry, decision: this.register.decide(pseudonym), purged: purged ?? null };
  }

  /** Withdraws one patient's consent for every use and purges what the site holds of them. */
  async withdraw(input: { patientId: string; date?: string }): Promise<WithdrawReport> {
    const date = this.#checkedDate(input.date);
    const [report] = await this.#withdrawAll([
      { pseudonym: this.register.pseudonymOf(input.patientId), date },
    ]);
    if (report === undefined) throw new Error('the withdrawal was not recorded');
    return report;
  }

  /** Withdraws every patient of a CSV (`patient_id[,date]`): all recorded, or on any problem none. */
  async withdrawCsv(path: string): Promise<WithdrawReport[]> {
    const csv = readConsentCsv(await readConsentFile(path), 'withdrawals', latestConsentDate(this.#clock()));
    return this.#withdrawAll(
      csv.rows.map((row) => ({ pseudonym: this.#entryOf(row).pseudonym, date: row.date })),
    );
  }

  /** Every patient in the register, by pseudonym, with the decision for the site's use. */
  list(): ConsentPatient[] {
    return this.register.patients();
  }

  /** One patient's consent: by Patient ID (hashed here, never kept) or by pseudonym. */
  show(patient: { patientId: string } | { pseudonym: string }): PatientConsentView {
    const pseudonym =
      'patientId' in patient ? this.register.pseudonymOf(patient.patientId) : patient.pseudonym;
    if (!ConsentRegister.isPseudonym(pseudonym)) {
      throw new ConsentError(
        'unknown-patient',
        'A pseudonym is RF followed by 16 hex digits (as `consent list` shows).',
      );
    }
    const db = this.#site.database;
    const count = (sql: string) => db.prepare<[string], number>(sql).pluck().get(pseudonym) ?? 0;
    return {
      pseudonym,
      decision: this.register.decide(pseudonym),
      history: this.register.history(pseudonym),
      held: {
        studies: count('SELECT COUNT(*) FROM studies WHERE patient_pseudonym = ?'),
        instances: count(
          'SELECT COUNT(*) FROM instances JOIN series USING (series_uid) JOIN studies USING (study_uid) WHERE patient_pseudonym = ?',
        ),
      },
      exclusions: this.exclusions.list(pseudonym),
      rounds: roundsThatUsed(db, pseudonym),
    };
  }

  /**
   * Purges each patient (default: every patient the site holds data of) who is out for the site's
   * use and still has data here. Returns what was purged.
   */
  async enforce(
    pseudonyms?: Iterable<string>,
    why: AuditDetail = { cause: 'consent.enforced' },
  ): Promise<PurgeResult[]> {
    // Quarantine is read once for all of them: copies are found by their Patient ID, not only by
    // record. Not read when none of the patients named is out (each ingest run's recheck).
    const named = pseudonyms === undefined ? null : [...pseudonyms];
    const copies =
      named !== null && this.register.outOf(named).length === 0 ? NO_COPIES : await this.#identifiedCopies();
    const candidates = named ?? [
      ...new Set([...pseudonymsWithData(this.#site), ...copies.byPseudonym.keys()]),
    ];
    const results: PurgeResult[] = [];
    for (const pseudonym of this.register.outOf(candidates)) {
      if (!holdsDataOf(this.#site, pseudonym, copies)) continue;
      const reason = this.register.decide(pseudonym).reason ?? 'not in by consent';
      results.push(
        await purgePatientData(
          this.#site,
          pseudonym,
          { log: this.#audit, actor: this.#actor, why: { ...why, reason } },
          copies,
        ),
      );
    }
    if (results.length > 0) this.#log?.info({ patients: results.length }, 'consent purge done');
    return results;
  }

  async #withdrawAll(items: { pseudonym: string; date: string }[]): Promise<WithdrawReport[]> {
    const copies = await this.#identifiedCopies();
    const recorded = this.#site.database
      .transaction(() =>
        items.map(({ pseudonym, date }) => {
          this.register.record([{ pseudonym, status: 'withdrawn', date }], 'withdraw');
          const inForce = !this.register.isPatientIn(pseudonym);
          const dataHeld = holdsDataOf(this.#site, pseudonym, copies);
          const rounds = roundsThatUsed(this.#site.database, pseudonym);
          this.#audit.append({
            type: 'consent.withdrawn',
            actor: this.#actor,
            detail: {
              pseudonym,
              date,
              inForce,
              dataHeld,
              roundsThatUsedTheirData: rounds.map((r) => ({ ...r })),
            },
          });
          return { pseudonym, inForce, dataHeld, rounds };
        }),
      )
      .immediate();
    const reports: WithdrawReport[] = [];
    for (const { pseudonym, inForce, dataHeld, rounds } of recorded) {
      const purged =
        inForce && dataHeld
          ? ((await this.enforce([pseudonym], { cause: 'consent.withdrawn' }))[0] ?? null)
          : null;
      reports.push({ pseudonym, inForce, purged, rounds, message: withdrawMessage(inForce, purged) });
    }
    this.#log?.info({ patients: reports.length }, 'consent withdrawn');
    return reports;
  }

  async #identifiedCopies(): Promise<IdentifiedCopies> {
    const copies = await findIdentifiedCopies(this.#site.paths.quarantine, this.#site.secret);
    if (copies.unreadable > 0) {
      this.#log?.warn({ files: copies.unreadable }, 'quarantine files whose header could not be read');
    }
    if (copies.unreadableFolders > 0) {
      this.#log?.warn({ folders: copies.unreadableFolders }, 'quarantine folders that could not be listed');
    }
    return copies;
  }

  #entryOf(row: ConsentRow) {
    return {
      pseudonym: this.register.pseudonymOf(row.patientId),
      status: row.status,
      date: row.date,
      scope: row.scope,
    };
  }

  #checkedDate(date: string | undefined): string {
    const now = this.#clock();
    const value = date ?? localDate(now);
    const problem = checkConsentDate(value, latestConsentDate(now));
    if (problem) throw new ConsentError('bad-entry', `The consent date is not usable: ${problem}.`);
    return value;
  }
}

function checkedScope(scope: string | undefined): string {
  const normalized = normalizeScope(scope);
  if (normalized.length > MAX_SCOPE_LENGTH) {
    throw new ConsentError('bad-scope', `The consent scope is longer than ${MAX_SCOPE_LENGTH} characters.`);
  }
  return normalized;
}

async function readConsentFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown error';
    // The path is not repeated: the operator typed it, and a file name can carry a patient's name.
    throw new ConsentError(
      'unreadable-file',
      `The consent file cannot be read (${code}). Check the path and that this user may read it.`,
    );
  }
}
