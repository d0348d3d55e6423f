// Opens the hub's SQLite database: WAL (a crash never leaves a half-written page; the CLI can read and
// write while the server runs), synchronous=FULL (a state change acknowledged to a site survives a
// power cut, not only a killed process), foreign keys on, and the schema brought up to date.
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { HubError } from '../hub-errors.ts';
import { applyMigrations, LATEST_SCHEMA_VERSION, schemaVersion } from './migrations.ts';

export type HubDatabase = SqliteDatabase;

export function openHubDatabase(path: string, options: { mustExist?: boolean } = {}): HubDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(path, { fileMustExist: options.mustExist ?? false });
  } catch (error) {
    throw new HubError(
      'cannot-open-database',
      500,
      `Cannot open the hub database at ${path}: ${(error as Error).message}. ` +
        'Check the --dir folder (create a hub with `radfed hub init`).',
      { cause: error },
    );
  }
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const hasTable = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    const existing = hasTable ? schemaVersion(db) : 0;
    if (existing > LATEST_SCHEMA_VERSION) {
      throw new HubError(
        'newer-schema',
        500,
        `The hub database has schema version ${existing}, newer than this RadFed knows (${LATEST_SCHEMA_VERSION}); update RadFed.`,
      );
    }
    applyMigrations(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
