// Inputs kept out of the research store because their patient is not in by consent: recorded by
// pseudonym and de-identified study UID with the reason, so the site can show what it left out and
// why. An input is examined again by every later ingest (consent may have been granted since); when
// it is then brought in, its exclusion is cleared.
import type { Database } from 'better-sqlite3';

export interface ExclusionInput {
  inputSha256: string;
  pseudonym: string;
  /** De-identified Study Instance UID, when the engine got that far. */
  studyUid: string | null;
  reason: string;
  runId: number | null;
}

/** The exclusions of one study (or of one patient's files without a study UID). */
export interface ExcludedStudy {
  pseudonym: string;
  studyUid: string | null;
  reason: string;
  files: number;
  lastExcludedAt: string;
}

export class ConsentExclusions {
  readonly #db: Database;
  readonly #now: () => string;

  constructor(db: Database, clock: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = () => clock().toISOString();
  }

  record(input: ExclusionInput): void {
    this.#db
      .prepare(
        `INSERT INTO consent_exclusions (input_sha256, patient_pseudonym, study_uid, reason, ingest_run_id, excluded_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (input_sha256) DO UPDATE SET
           patient_pseudonym = excluded.patient_pseudonym, study_uid = excluded.study_uid,
           reason = excluded.reason, ingest_run_id = excluded.ingest_run_id, excluded_at = excluded.excluded_at`,
      )
      .run(input.inputSha256, input.pseudonym, input.studyUid, input.reason, input.runId, this.#now());
  }

  /** Forgets an input's exclusion: it has now been brought in. */
  clear(inputSha256: string): void {
    this.#db.prepare('DELETE FROM consent_exclusions WHERE input_sha256 = ?').run(inputSha256);
  }

  /** Excluded studies, one row per study (latest reason), optionally of one patient. */
  list(pseudonym?: string): ExcludedStudy[] {
    const where = pseudonym === undefined ? '' : 'WHERE patient_pseudonym = ?';
    return this.#db
      .prepare<unknown[], ExcludedStudy>(
        `SELECT patient_pseudonym AS pseudonym, study_uid AS studyUid,
                (SELECT reason FROM consent_exclusions l
                  WHERE l.patient_pseudonym = e.patient_pseudonym AND l.study_uid IS e.study_uid
                  ORDER BY excluded_at DESC, id DESC LIMIT 1) AS reason,
                COUNT(*) AS files, MAX(excluded_at) AS lastExcludedAt
         FROM consent_exclusions e ${where}
         GROUP BY patient_pseudonym, study_uid
         ORDER BY patient_pseudonym, study_uid`,
      )
      .all(...(pseudonym === undefined ? [] : [pseudonym]));
  }
}
