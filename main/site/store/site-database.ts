// Opens the site's SQLite database through the one opener (shared/node/sqlite-database.ts: WAL,
// foreign keys, a busy timeout so the CLI and the app can share the file, synchronous NORMAL), with
// the schema brought up to date by the site's numbered migrations.
//
// secure_delete: a deleted row's bytes (a withdrawn patient's pseudonym, de-identified UIDs, keyed
// hashes) are overwritten with zeros in the page, and freed pages are zeroed, instead of lingering in
// free space where anyone with the file could read them. It is a per-connection setting, so it is set
// here, where every connection to site.db is made. The older copies of those pages in the write-ahead
// log go with eraseFreedPages, which a purge calls once its rows are deleted.
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { openSqliteDatabase, SchemaNewerThanCodeError, SqliteOpenError } from '../../../shared/node/index.ts';
import { MIGRATIONS } from './migrations.ts';
import { RadfedError } from '../../../shared/errors.ts';

export type SiteDatabase = SqliteDatabase;

export class SiteDatabaseError extends RadfedError<
  'cannot-open' | 'newer-schema' | 'migration-failed' | 'disk-full'
> {
  override readonly name = 'SiteDatabaseError';
}

export function openSiteDatabase(path: string): SiteDatabase {
  try {
    return openSqliteDatabase(path, { migrations: MIGRATIONS, synchronous: 'NORMAL', secureDelete: true });
  } catch (error) {
    throw siteDatabaseErrorFor(error, path);
  }
}

/** The opener's failures in the site's words (the site's own folder may be named; the operator chose it). */
function siteDatabaseErrorFor(error: unknown, path: string): unknown {
  if (error instanceof SchemaNewerThanCodeError) {
    return new SiteDatabaseError(
      'newer-schema',
      `The site database at ${path} has schema version ${error.databaseVersion}, newer than this RadFed knows (${error.codeVersion}). Update RadFed before opening this site.`,
      { cause: error },
    );
  }
  if (!(error instanceof SqliteOpenError)) return error;
  const cause = error.cause as Error;
  // A full disk is no damage: "restore it from backup" would send people to their backups for nothing.
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('SQLITE_FULL') || code === 'ENOSPC')) {
    return new SiteDatabaseError(
      'disk-full',
      `The disk that holds ${path} is full: free some space on it, then run the command again. The database was left as it was.`,
      { cause },
    );
  }
  return error.code === 'cannot-open'
    ? new SiteDatabaseError(
        'cannot-open',
        `Cannot open the site database at ${path}: ${cause.message}. Check that the folder exists and this user may write to it.`,
        { cause },
      )
    : new SiteDatabaseError(
        'migration-failed',
        `Could not bring the site database at ${path} up to date: ${cause.message}. The database was left as it was; restore it from backup or report this.`,
        { cause },
      );
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
