// The one way to open a RadFed SQLite database (the site's site.db, the hub's hub.db): the connection
// settings both need, then the schema brought up to date by the one migration runner, which alone
// decides whether the database is newer than the code. Node-only (better-sqlite3).
//
// Settings, and why:
// - journal_mode = WAL: readers never block the writer, and a crash never leaves a half-written page;
//   the CLI can read and write while the app or the hub server runs.
// - busy_timeout = 10 s: a second process (the CLI beside the app, a second hub) waits for the write
//   lock instead of failing at once.
// - foreign_keys = ON: SQLite leaves them off per connection unless asked.
// - synchronous: the caller's choice. FULL for the hub (a state change acknowledged to a site must
//   survive a power cut, not only a killed process); NORMAL for the site, its setting before the
//   openers were one (with WAL a power cut never corrupts the file, though the last commits before it
//   may be lost).
// - secure_delete: per connection, so asked for here by the site (deleted rows of a withdrawn patient
//   are overwritten with zeros, not left in free pages).
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { RadfedError } from '../errors.ts';
import { applyMigrations, SchemaNewerThanCodeError, type Migration } from './schema-migrations.ts';

export interface SqliteOpenOptions {
  /** The store's numbered migrations; left out, the schema is not touched (test helpers). */
  readonly migrations?: readonly Migration[];
  readonly synchronous: 'NORMAL' | 'FULL';
  readonly secureDelete?: boolean;
  /** Refuse to create the file when it is missing (default false: create it). */
  readonly mustExist?: boolean;
  /**
   * A reader that must not change the file (the app's screens reading another process's database):
   * opened read-only, the file must exist, and nothing is set that writes (journal mode, migrations).
   */
  readonly readOnly?: boolean;
}

export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * The file could not be opened as a database ('cannot-open'), or a migration failed and was rolled
 * back ('migration-failed'). `cause` holds SQLite's error; each store words the sentence for its
 * user, as the generic message here names no file.
 */
export class SqliteOpenError extends RadfedError<'cannot-open' | 'migration-failed'> {
  override readonly name = 'SqliteOpenError';
}

/**
 * Opens the database at `path` with the settings above and applies the pending migrations. Throws
 * SqliteOpenError, SchemaNewerThanCodeError (from the runner: the database was written by a newer
 * RadFed), or SQLite's own error when a setting cannot be applied (a file that is not a database).
 * The connection is closed on every failure.
 */
export function openSqliteDatabase(path: string, options: SqliteOpenOptions): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(path, {
      readonly: options.readOnly === true,
      fileMustExist: options.readOnly === true || (options.mustExist ?? false),
    });
  } catch (error) {
    throw new SqliteOpenError('cannot-open', `Cannot open the database: ${(error as Error).message}.`, {
      cause: error,
    });
  }
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    if (options.readOnly === true) {
      if (options.migrations !== undefined) throw new Error('A read-only database cannot be migrated.');
      return db;
    }
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous}`);
    db.pragma('foreign_keys = ON');
    if (options.secureDelete === true) db.pragma('secure_delete = ON');
    if (options.migrations !== undefined) migrate(db, options.migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: SqliteDatabase, migrations: readonly Migration[]): void {
  try {
    applyMigrations(db, migrations);
  } catch (error) {
    if (error instanceof SchemaNewerThanCodeError) throw error;
    throw new SqliteOpenError(
      'migration-failed',
      `A schema migration failed and was rolled back: ${(error as Error).message}.`,
      { cause: error },
    );
  }
}
