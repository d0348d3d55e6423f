// Opens the hub's SQLite database through the one opener (shared/node/sqlite-database.ts: WAL, so the
// CLI can read and write while the server runs; foreign keys; a busy timeout), with synchronous=FULL
// (a state change acknowledged to a site survives a power cut, not only a killed process) and the
// schema brought up to date by the hub's numbered migrations.
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { openSqliteDatabase, SchemaNewerThanCodeError, SqliteOpenError } from '../../shared/node/index.ts';
import { HubError } from '../hub-errors.ts';
import { MIGRATIONS } from './migrations.ts';

export type HubDatabase = SqliteDatabase;

export function openHubDatabase(path: string, options: { mustExist?: boolean } = {}): HubDatabase {
  try {
    return openSqliteDatabase(path, {
      migrations: MIGRATIONS,
      synchronous: 'FULL',
      mustExist: options.mustExist ?? false,
    });
  } catch (error) {
    throw hubDatabaseErrorFor(error, path);
  }
}

function hubDatabaseErrorFor(error: unknown, path: string): unknown {
  if (error instanceof SchemaNewerThanCodeError) {
    return new HubError(
      'newer-schema',
      500,
      `The hub database has schema version ${error.databaseVersion}, newer than this RadFed knows (${error.codeVersion}); update RadFed.`,
      { cause: error },
    );
  }
  if (!(error instanceof SqliteOpenError)) return error;
  // A failed migration reaches the caller as the migration's own error, as it always has.
  if (error.code === 'migration-failed') return error.cause;
  return new HubError(
    'cannot-open-database',
    500,
    `Cannot open the hub database at ${path}: ${(error.cause as Error).message}. ` +
      'Check the --dir folder (create a hub with `radfed hub init`).',
    { cause: error.cause },
  );
}
