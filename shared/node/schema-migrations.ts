// The one migration runner, for the site database and the hub database alike (each keeps its own list
// of numbered migrations beside its store). Node-only: it needs better-sqlite3, so nothing that runs
// in the renderer may import it.
//
// Why each migration re-reads the applied versions inside a BEGIN IMMEDIATE transaction: two processes
// may open the same database at once (the CLI beside the app, two hub processes started together).
// IMMEDIATE takes the write lock before the read, so the second process waits for the first to commit
// and then sees its migration as applied, instead of applying it a second time.
import type { Database } from 'better-sqlite3';
import { RadfedError } from '../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The database was migrated by a newer RadFed than this one: opening it could corrupt what it holds. */
export class SchemaNewerThanCodeError extends RadfedError<'newer-schema'> {
  override readonly name = 'SchemaNewerThanCodeError';
  constructor(
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      'newer-schema',
      `The database has schema version ${databaseVersion}, newer than this RadFed knows (${codeVersion}). ` +
        'It was last opened by a newer RadFed: update RadFed to that version or later before opening it.',
    );
  }
}

// The same table, with the same columns, that both runners created before they were one: databases
// made by earlier releases keep working unchanged. (The hub's PostgreSQL runner takes its translation.)
export const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT`;

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
}

/**
 * What every runner decides, once the applied versions are read under its lock: the next migration
 * to apply in version order (undefined when none is left), or SchemaNewerThanCodeError when the
 * database holds a version the code does not know.
 */
export function nextMigration(
  applied: ReadonlySet<number>,
  migrations: readonly Migration[],
): Migration | undefined {
  const codeVersion = latestVersion(migrations);
  const databaseVersion = Math.max(0, ...applied);
  if (databaseVersion > codeVersion) throw new SchemaNewerThanCodeError(databaseVersion, codeVersion);
  return [...migrations].sort((a, b) => a.version - b.version).find((m) => !applied.has(m.version));
}

/** The highest version applied to the database; 0 for a database no runner has touched yet. */
export function schemaVersion(db: Database): number {
  const hasTable =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !==
    undefined;
  if (!hasTable) return 0;
  return db.prepare<[], number>('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() ?? 0;
}

/**
 * Applies, in version order, each migration the database has not had, each in its own IMMEDIATE
 * transaction (a failed migration leaves the schema as it was). Refuses a database newer than
 * `migrations` with SchemaNewerThanCodeError. Returns the versions this call applied.
 */
export function applyMigrations(db: Database, migrations: readonly Migration[]): number[] {
  const applied: number[] = [];
  const nextPending = db.transaction((): boolean => {
    db.exec(CREATE_SCHEMA_MIGRATIONS);
    // Read under the write lock: a process that migrated while this one waited is seen here.
    const done = new Set(db.prepare<[], number>('SELECT version FROM schema_migrations').pluck().all());
    const migration = nextMigration(done, migrations);
    if (migration === undefined) return false;
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      migration.version,
      migration.name,
      new Date().toISOString(),
    );
    applied.push(migration.version);
    return true;
  });
  while (nextPending.immediate()) {
    // One migration per transaction, so a long list never holds the write lock for all of it.
  }
  return applied;
}
