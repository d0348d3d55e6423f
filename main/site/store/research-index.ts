// The index of the research store: patients (pseudonyms), studies, series and instances, plus the
// inputs that were held back or rejected, and one row per ingest run. Idempotence rests on the input's
// SHA-256: an input already seen (stored, held or rejected) is not processed again.
import type { Database, Statement } from 'better-sqlite3';

/** What the index needs to know about a de-identified instance (all values already de-identified). */
export interface IndexedInstance {
  patientPseudonym: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  modality: string;
  accessionHash: string | null;
  studyUidHash: string | null;
  /** De-identified values, for the cohort filters ('' or absent when the output has none). */
  bodyPartExamined?: string;
  seriesDescription?: string;
  /** Study Date of the output (YYYYMMDD), as the de-identification options left it. */
  studyDate?: string;
}

export interface StoredInstance {
  instance: IndexedInstance;
  /** Path of the de-identified file relative to the research store, with forward slashes. */
  path: string;
  sha256: string;
  size: number;
  inputSha256: string;
  runId: number | null;
}

export interface HeldInput {
  inputSha256: string;
  reason: string;
  quarantineName: string;
  patientPseudonym: string | null;
  studyUid: string | null;
  runId: number | null;
}

export interface HeldEntry {
  id: number;
  reason: string;
  quarantineName: string;
  heldAt: string;
}

export interface RejectedInput {
  inputSha256: string;
  reason: string;
  runId: number | null;
}

export type InputOutcome = 'deidentified' | 'held' | 'rejected';

export interface SiteCounts {
  patients: number;
  studies: number;
  series: number;
  instances: number;
  held: number;
  rejected: number;
}

export interface IngestRunCounts {
  files: number;
  deidentified: number;
  held: number;
  rejected: number;
  alreadyIngested: number;
  failed: number;
}

const count = (db: Database, table: string): Statement<[], number> =>
  db.prepare<[], number>(`SELECT COUNT(*) FROM ${table}`).pluck();

export class ResearchIndex {
  readonly #db: Database;
  readonly #now: () => string;
  readonly #statements;

  constructor(db: Database, clock: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = () => clock().toISOString();
    this.#statements = {
      storedInput: db
        .prepare<[string], number>('SELECT 1 FROM instance_sources WHERE input_sha256 = ?')
        .pluck(),
      heldInput: db.prepare<[string], number>('SELECT 1 FROM held WHERE input_sha256 = ?').pluck(),
      rejectedInput: db.prepare<[string], number>('SELECT 1 FROM rejected WHERE input_sha256 = ?').pluck(),
      instancePath: db.prepare<[string], string>('SELECT path FROM instances WHERE sop_uid = ?').pluck(),
      insertPatient: db.prepare<[string, string]>(
        'INSERT OR IGNORE INTO patients (pseudonym, created_at) VALUES (?, ?)',
      ),
      upsertStudy: db.prepare<[string, string, string | null, string | null, string, string]>(
        `INSERT INTO studies (study_uid, patient_pseudonym, accession_hash, study_uid_hash, study_date,
                              created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (study_uid) DO UPDATE SET
           accession_hash = COALESCE(studies.accession_hash, excluded.accession_hash),
           study_uid_hash = COALESCE(studies.study_uid_hash, excluded.study_uid_hash),
           study_date = COALESCE(NULLIF(studies.study_date, ''), excluded.study_date)`,
      ),
      studyModalities: db
        .prepare<[string], string>('SELECT modalities FROM studies WHERE study_uid = ?')
        .pluck(),
      setStudyModalities: db.prepare<[string, string]>(
        'UPDATE studies SET modalities = ? WHERE study_uid = ?',
      ),
      upsertSeries: db.prepare<[string, string, string, string, string, string]>(
        `INSERT INTO series (series_uid, study_uid, modality, body_part, description, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (series_uid) DO UPDATE SET
           body_part = COALESCE(NULLIF(series.body_part, ''), excluded.body_part),
           description = COALESCE(NULLIF(series.description, ''), excluded.description)`,
      ),
      upsertInstance: db.prepare<
        [string, string, string, string, string, number, string, number | null, string, string]
      >(
        `INSERT INTO instances (sop_uid, series_uid, sop_class_uid, path, sha256, size, input_sha256,
                                ingest_run_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sop_uid) DO UPDATE SET
           series_uid = excluded.series_uid, sop_class_uid = excluded.sop_class_uid, path = excluded.path,
           sha256 = excluded.sha256, size = excluded.size, input_sha256 = excluded.input_sha256,
           ingest_run_id = excluded.ingest_run_id, updated_at = excluded.updated_at`,
      ),
      insertSource: db.prepare<[string, string, string]>(
        'INSERT OR IGNORE INTO instance_sources (input_sha256, sop_uid, ingested_at) VALUES (?, ?, ?)',
      ),
      insertHeld: db.prepare<[string, string, string, string | null, string | null, number | null, string]>(
        `INSERT OR IGNORE INTO held (input_sha256, reason, quarantine_name, patient_pseudonym, study_uid,
                                     ingest_run_id, held_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertRejected: db.prepare<[string, string, number | null, string]>(
        'INSERT OR IGNORE INTO rejected (input_sha256, reason, ingest_run_id, rejected_at) VALUES (?, ?, ?, ?)',
      ),
      startRun: db.prepare<[string]>("INSERT INTO ingest_runs (started_at, status) VALUES (?, 'running')"),
      finishRun: db.prepare<[string, string, number, number, number, number, number, number, number]>(
        `UPDATE ingest_runs SET finished_at = ?, status = ?, files = ?, deidentified = ?, held = ?,
           rejected = ?, already_ingested = ?, failed = ? WHERE id = ?`,
      ),
      lastCompleted: db
        .prepare<[], string>(
          "SELECT finished_at FROM ingest_runs WHERE status = 'completed' ORDER BY finished_at DESC LIMIT 1",
        )
        .pluck(),
      counts: {
        patients: count(db, 'patients'),
        studies: count(db, 'studies'),
        series: count(db, 'series'),
        instances: count(db, 'instances'),
        held: count(db, 'held'),
        rejected: count(db, 'rejected'),
      },
      listHeld: db.prepare<[], HeldEntry>(
        'SELECT id, reason, quarantine_name AS quarantineName, held_at AS heldAt FROM held ORDER BY id',
      ),
    };
  }

  /** How an input with this SHA-256 was handled before, or null when it is new. */
  outcomeOfInput(inputSha256: string): InputOutcome | null {
    const s = this.#statements;
    if (s.storedInput.get(inputSha256) !== undefined) return 'deidentified';
    if (s.heldInput.get(inputSha256) !== undefined) return 'held';
    if (s.rejectedInput.get(inputSha256) !== undefined) return 'rejected';
    return null;
  }

  /** The research-store path of an instance, or null when it is not stored. */
  instancePath(sopInstanceUid: string): string | null {
    return this.#statements.instancePath.get(sopInstanceUid) ?? null;
  }

  /**
   * Indexes a de-identified instance: inserts its patient, study and series when new, and inserts or
   * updates the instance (the same source instance ingested again is one instance, not two).
   */
  storeInstance(stored: StoredInstance): void {
    const s = this.#statements;
    const { instance } = stored;
    const now = this.#now();
    this.#db
      .transaction(() => {
        s.insertPatient.run(instance.patientPseudonym, now);
        s.upsertStudy.run(
          instance.studyInstanceUid,
          instance.patientPseudonym,
          instance.accessionHash,
          instance.studyUidHash,
          instance.studyDate ?? '',
          now,
        );
        s.upsertSeries.run(
          instance.seriesInstanceUid,
          instance.studyInstanceUid,
          instance.modality,
          instance.bodyPartExamined ?? '',
          instance.seriesDescription ?? '',
          now,
        );
        this.#addStudyModality(instance.studyInstanceUid, instance.modality);
        s.upsertInstance.run(
          instance.sopInstanceUid,
          instance.seriesInstanceUid,
          instance.sopClassUid,
          stored.path,
          stored.sha256,
          stored.size,
          stored.inputSha256,
          stored.runId,
          now,
          now,
        );
        s.insertSource.run(stored.inputSha256, instance.sopInstanceUid, now);
      })
      .immediate();
  }

  recordHeld(held: HeldInput): void {
    this.#statements.insertHeld.run(
      held.inputSha256,
      held.reason,
      held.quarantineName,
      held.patientPseudonym,
      held.studyUid,
      held.runId,
      this.#now(),
    );
  }

  recordRejected(rejected: RejectedInput): void {
    this.#statements.insertRejected.run(rejected.inputSha256, rejected.reason, rejected.runId, this.#now());
  }

  listHeld(): HeldEntry[] {
    return this.#statements.listHeld.all();
  }

  startRun(): number {
    return Number(this.#statements.startRun.run(this.#now()).lastInsertRowid);
  }

  finishRun(id: number, counts: IngestRunCounts, status: 'completed' | 'failed'): void {
    this.#statements.finishRun.run(
      this.#now(),
      status,
      counts.files,
      counts.deidentified,
      counts.held,
      counts.rejected,
      counts.alreadyIngested,
      counts.failed,
      id,
    );
  }

  lastCompletedIngestAt(): string | null {
    return this.#statements.lastCompleted.get() ?? null;
  }

  counts(): SiteCounts {
    const c = this.#statements.counts;
    return {
      patients: c.patients.get() ?? 0,
      studies: c.studies.get() ?? 0,
      series: c.series.get() ?? 0,
      instances: c.instances.get() ?? 0,
      held: c.held.get() ?? 0,
      rejected: c.rejected.get() ?? 0,
    };
  }

  #addStudyModality(studyUid: string, modality: string): void {
    const current = this.#statements.studyModalities.get(studyUid) ?? '';
    const set = new Set(current.split('\\').filter(Boolean));
    if (modality === '' || set.has(modality)) return;
    set.add(modality);
    this.#statements.setStudyModalities.run([...set].sort().join('\\'), studyUid);
  }
}
