// The site database schema, as numbered migrations. A migration, once released, never changes: a new
// need is a new migration. Consent, labels and cohort tables (a later issue) are added the same way.
//
// Privacy: these tables hold only pseudonyms, de-identified UIDs and keyed hashes (HMAC with the site
// secret). A raw patient name, ID, accession number or original UID has no column to go into.
import type { Database } from 'better-sqlite3';
import {
  applyMigrations as runMigrations,
  latestVersion,
  schemaVersion,
  type Migration,
} from '../../../shared/node/index.ts';

export type { Migration };

const GENESIS_HASH = '0'.repeat(64);

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'research index',
    sql: `
      CREATE TABLE ingest_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        files INTEGER NOT NULL DEFAULT 0,
        deidentified INTEGER NOT NULL DEFAULT 0,
        held INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        already_ingested INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      CREATE TABLE patients (
        pseudonym TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE studies (
        study_uid TEXT PRIMARY KEY,
        patient_pseudonym TEXT NOT NULL REFERENCES patients (pseudonym) ON DELETE CASCADE,
        -- HMAC of the original Accession Number / Study Instance UID: lets labels keyed by either be
        -- matched later without storing the originals.
        accession_hash TEXT,
        study_uid_hash TEXT,
        -- Modalities seen in the study, sorted, joined by a backslash (like Modalities in Study).
        modalities TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX studies_by_patient ON studies (patient_pseudonym);
      CREATE INDEX studies_by_accession_hash ON studies (accession_hash);
      CREATE INDEX studies_by_study_uid_hash ON studies (study_uid_hash);

      CREATE TABLE series (
        series_uid TEXT PRIMARY KEY,
        study_uid TEXT NOT NULL REFERENCES studies (study_uid) ON DELETE CASCADE,
        modality TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX series_by_study ON series (study_uid);

      CREATE TABLE instances (
        sop_uid TEXT PRIMARY KEY,
        series_uid TEXT NOT NULL REFERENCES series (series_uid) ON DELETE CASCADE,
        sop_class_uid TEXT NOT NULL,
        -- Relative to the research store folder, always with forward slashes.
        path TEXT NOT NULL UNIQUE,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        -- SHA-256 of the identified input last stored under this SOP Instance UID.
        input_sha256 TEXT NOT NULL,
        ingest_run_id INTEGER REFERENCES ingest_runs (id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX instances_by_series ON instances (series_uid);

      -- Every input (by SHA-256) that produced an instance: two byte-different copies of one source
      -- instance map to one instance, and each is recognised as already ingested.
      CREATE TABLE instance_sources (
        input_sha256 TEXT PRIMARY KEY,
        sop_uid TEXT NOT NULL REFERENCES instances (sop_uid) ON DELETE CASCADE,
        ingested_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX instance_sources_by_sop ON instance_sources (sop_uid);

      CREATE TABLE held (
        id INTEGER PRIMARY KEY,
        input_sha256 TEXT NOT NULL UNIQUE,
        reason TEXT NOT NULL,
        -- Random file name in the quarantine folder (never the original name: it may carry PHI).
        quarantine_name TEXT NOT NULL UNIQUE,
        -- Known when the engine got as far as pseudonymising before holding the file back.
        patient_pseudonym TEXT,
        study_uid TEXT,
        ingest_run_id INTEGER REFERENCES ingest_runs (id),
        held_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE rejected (
        id INTEGER PRIMARY KEY,
        input_sha256 TEXT NOT NULL UNIQUE,
        reason TEXT NOT NULL,
        ingest_run_id INTEGER REFERENCES ingest_runs (id),
        rejected_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'audit log',
    // Append-only and hash-chained (see main/site/audit). The triggers make UPDATE and DELETE fail,
    // and refuse an INSERT that does not extend the chain by exactly one entry.
    sql: `
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        type TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_log_by_type ON audit_log (type, seq);
      CREATE INDEX audit_log_by_time ON audit_log (time);

      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed'); END;

      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted'); END;

      CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
      WHEN NEW.seq IS NOT COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1
        OR NEW.prev_hash IS NOT COALESCE(
          (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '${GENESIS_HASH}')
      BEGIN SELECT RAISE(ABORT, 'an audit entry must extend the chain by exactly one'); END;
    `,
  },
  {
    version: 3,
    name: 'consent register',
    // See main/site/consent. Patients are known by the de-identification pseudonym (HMAC of the
    // Patient ID with the site secret): the CHECK refuses anything else, a raw ID above all.
    sql: `
      -- Every consent decision ever recorded. A change is a new entry, never an edit: history kept.
      CREATE TABLE consent_entries (
        id INTEGER PRIMARY KEY,
        pseudonym TEXT NOT NULL CHECK (length(pseudonym) = 18 AND pseudonym GLOB 'RF[0-9A-F]*'
          AND substr(pseudonym, 3) NOT GLOB '*[^0-9A-F]*'),
        status TEXT NOT NULL CHECK (status IN ('granted', 'refused', 'withdrawn')),
        -- The day the decision was made (YYYY-MM-DD): the latest dated entry is the one in force.
        date TEXT NOT NULL CHECK (date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
        -- '' speaks for every use; otherwise the use it speaks for, trimmed and lower case.
        scope TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL CHECK (source IN ('import', 'set', 'withdraw')),
        recorded_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX consent_entries_by_patient ON consent_entries (pseudonym, scope, date, status);

      CREATE TRIGGER consent_entries_no_update BEFORE UPDATE ON consent_entries
      BEGIN SELECT RAISE(ABORT, 'consent history is append-only: record a new entry instead'); END;

      CREATE TRIGGER consent_entries_no_delete BEFORE DELETE ON consent_entries
      BEGIN SELECT RAISE(ABORT, 'consent history is append-only: record a new entry instead'); END;

      -- The entry in force per patient and scope: the latest date; on one date, the last recorded.
      CREATE VIEW consent_current AS
        SELECT pseudonym, scope, status, date FROM (
          SELECT pseudonym, scope, status, date,
            ROW_NUMBER() OVER (PARTITION BY pseudonym, scope ORDER BY date DESC, id DESC) AS rank
          FROM consent_entries)
        WHERE rank = 1;

      -- Inputs not brought in because their patient is not in by consent (the identified copy is
      -- deleted). Re-examined by every later ingest: consent may have been granted since.
      CREATE TABLE consent_exclusions (
        id INTEGER PRIMARY KEY,
        input_sha256 TEXT NOT NULL UNIQUE,
        patient_pseudonym TEXT NOT NULL,
        -- De-identified Study Instance UID.
        study_uid TEXT,
        reason TEXT NOT NULL,
        ingest_run_id INTEGER REFERENCES ingest_runs (id),
        excluded_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX consent_exclusions_by_patient ON consent_exclusions (patient_pseudonym);

      -- One row per patient whose data a completed federated round used; written by the federation
      -- when the round completes, read when a patient withdraws.
      CREATE TABLE round_participation (
        round_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        pseudonym TEXT NOT NULL,
        completed_at TEXT NOT NULL,
        PRIMARY KEY (task_id, round_id, pseudonym)
      ) STRICT;
      CREATE INDEX round_participation_by_patient ON round_participation (pseudonym);
    `,
  },
  {
    version: 4,
    name: 'tasks and labels',
    // See main/site/cohort. The new study and series columns hold DE-IDENTIFIED values (what the
    // research file says), for the task filters; studies indexed before this migration have them empty.
    // Labels point at de-identified studies: the accession numbers and UIDs of a labels file are
    // matched by their keyed hash and never stored.
    sql: `
      ALTER TABLE studies ADD COLUMN study_date TEXT NOT NULL DEFAULT '';
      ALTER TABLE series ADD COLUMN body_part TEXT NOT NULL DEFAULT '';
      ALTER TABLE series ADD COLUMN description TEXT NOT NULL DEFAULT '';

      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        -- The task definition as JSON, validated on write and on read by main/site/cohort.
        definition TEXT NOT NULL,
        is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX tasks_one_default ON tasks (is_default) WHERE is_default = 1;

      CREATE TABLE labels (
        task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        -- De-identified Study Instance UID: a purged study takes its labels with it.
        study_uid TEXT NOT NULL REFERENCES studies (study_uid) ON DELETE CASCADE,
        label TEXT NOT NULL,
        matched_by TEXT NOT NULL CHECK (matched_by IN ('accession', 'study-uid')),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (task_id, study_uid)
      ) STRICT;
      CREATE INDEX labels_by_study ON labels (study_uid);
    `,
  },
  {
    version: 5,
    name: 'federation approvals',
    // See main/site/federation. A federated task runs at this site only after an operator approved it,
    // having seen what it trains and what leaves the site; the approval names the definition it saw
    // (a changed definition needs a new approval) and the site's own task whose cohort it trains on.
    sql: `
      CREATE TABLE federation_approvals (
        -- The hub's task id.
        task_id TEXT PRIMARY KEY,
        task_name TEXT NOT NULL,
        -- SHA-256 of the canonical JSON of the definition the operator was shown.
        definition_sha256 TEXT NOT NULL,
        definition TEXT NOT NULL,
        -- The site task (table tasks) whose cohort and labels the federated task trains on.
        cohort_task_id TEXT NOT NULL,
        approved_at TEXT NOT NULL,
        approved_by TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: 'ingest run owners',
    // See main/site/ingest/ingest-runs.ts. A run records the process that owns it (host, pid, start
    // time), so a run whose process was killed can be told from one still going, and is marked
    // 'interrupted' at the next start. SQLite cannot widen a CHECK in place: the table is rebuilt, with
    // foreign keys deferred so the rows that name a run keep pointing at it.
    sql: `
      PRAGMA defer_foreign_keys = ON;
      CREATE TEMP TABLE ingest_runs_v5 AS SELECT * FROM ingest_runs;
      DROP TABLE ingest_runs;
      CREATE TABLE ingest_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
        files INTEGER NOT NULL DEFAULT 0,
        deidentified INTEGER NOT NULL DEFAULT 0,
        held INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        already_ingested INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        owner TEXT
      ) STRICT;
      INSERT INTO ingest_runs (id, started_at, finished_at, status, files, deidentified, held, rejected,
                               already_ingested, failed)
        SELECT id, started_at, finished_at, status, files, deidentified, held, rejected, already_ingested,
               failed
        FROM temp.ingest_runs_v5;
      DROP TABLE temp.ingest_runs_v5;
    `,
  },
];

/** Brings the site database up to date with the one runner the hub uses too. Returns the versions applied. */
export function applyMigrations(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  return runMigrations(db, migrations);
}

export { schemaVersion };

export const LATEST_SCHEMA_VERSION = latestVersion(MIGRATIONS);
