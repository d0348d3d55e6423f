// Opens the site's SQLite database: WAL (readers never block the writer, and a crash never leaves a
// half-written page), foreign keys on, a busy timeout so the CLI and the app can share the file, and
// the schema brought up to date by the numbered migrations.
//
// secure_delete: a deleted row's bytes (a withdrawn patient's pseudonym, de-identified UIDs, keyed
// hashes) are overwritten with zeros in the page, and freed pages are zeroed, instead of lingering in
// free space where anyone with the file could read them. It is a per-connection setting, so it is set
// here, where every connection to site.db is made. The older copies of those pages in the write-ahead
// log go with eraseFreedPages, which a purge calls once its rows are deleted.
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { applyMigrations, LATEST_SCHEMA_VERSION, schemaVersion } from './migrations.ts';
import { RadfedError } from '../../../shared/errors.ts';

export type SiteDatabase = SqliteDatabase;

export class SiteDatabaseError extends RadfedError<'cannot-open' | 'newer-schema' | 'migration-failed'> {
  override readonly name = 'SiteDatabaseError';
}

const BUSY_TIMEOUT_MS = 10_000;

export function openSiteDatabase(path: string): SiteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(path, { fileMustExist: false });
  } catch (error) {
    throw new SiteDatabaseError(
      'cannot-open',
      `Cannot open the site database at ${path}: ${(error as Error).message}. Check that the folder exists and this user may write to it.`,
      { cause: error },
    );
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    const existing = hasMigrationsTable(db) ? schemaVersion(db) : 0;
    if (existing > LATEST_SCHEMA_VERSION) {
      throw new SiteDatabaseError(
        'newer-schema',
        `The site database at ${path} has schema version ${existing}, newer than this RadFed knows (${LATEST_SCHEMA_VERSION}). Update RadFed before opening this site.`,
      );
    }
    try {
      applyMigrations(db);
    } catch (error) {
      throw new SiteDatabaseError(
        'migration-failed',
        `Could not bring the site database at ${path} up to date: ${(error as Error).message}. The database was left as it was; restore it from backup or report this.`,
        { cause: error },
      );
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export interface FreedPagesErasure {
  /** False when another connection was still reading older pages, so the log could not be emptied. */
  complete: boolean;
  /** Pages of the write-ahead log still to be copied back (0 when complete). */
  pagesLeft: number;
}

/**
 * After deleting a patient's rows: copies every page in the write-ahead log back into site.db and
 * truncates the log to nothing, so no older copy of a page that held the deleted rows stays readable
 * in site.db-wal (with secure_delete on, site.db itself then holds only zeros where they were).
 * Waits up to the busy timeout for other connections' readers; `complete: false` when they outlast it.
 */
export function eraseFreedPages(db: SqliteDatabase): FreedPagesErasure {
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as {
    busy: number;
    log: number;
    checkpointed: number;
  }[];
  if (result === undefined) return { complete: true, pagesLeft: 0 };
  const pagesLeft = Math.max(0, result.log - result.checkpointed);
  return { complete: result.busy === 0 && pagesLeft === 0, pagesLeft };
}

function hasMigrationsTable(db: SqliteDatabase): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !==
    undefined
  );
}
