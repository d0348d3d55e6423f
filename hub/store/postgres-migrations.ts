// The hub schema on PostgreSQL: the same numbered migrations as the SQLite hub (hub/store/migrations.ts,
// same versions, same names, same schema_migrations table), each in its PostgreSQL form, applied by a
// runner that does what shared/node/schema-migrations.ts does on SQLite, with its decisions (which
// migration is next, whether the database is newer than the code) and its table: one migration per
// transaction, the applied versions read under a lock, a database newer than the code refused.
//
// The PostgreSQL form is derived from the SQLite text, so the two cannot drift apart by hand: INTEGER
// becomes BIGINT (times in ms do not fit 32 bits), REAL becomes DOUBLE PRECISION (PostgreSQL's REAL is
// 4 bytes), BLOB becomes BYTEA, STRICT and WITHOUT ROWID go. What has no such translation (a trigger) has its own form
// below, and the translation refuses any other SQLite-only word, so a new migration that needs one
// cannot slip through untranslated. postgres-migrations.spec.ts compares the two schemas column by column.
import {
  CREATE_SCHEMA_MIGRATIONS,
  nextMigration,
  SchemaNewerThanCodeError,
  type Migration,
} from '../../shared/node/index.ts';
import { HubError } from '../hub-errors.ts';
import type { SqlEngine } from './sql-engine.ts';
import { MIGRATIONS } from './migrations.ts';

// Migration 2's trigger: SQLite's RAISE(ABORT) becomes a PL/pgSQL function that raises.
const SQLITE_SECAGG_TRIGGER = /CREATE TRIGGER secagg_one_kind_per_site[\s\S]*?END;/;
const POSTGRES_SECAGG_TRIGGER = `
      CREATE FUNCTION secagg_one_kind_per_site() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM secagg_revealed WHERE task_id = NEW.task_id AND round = NEW.round
                   AND owner_site = NEW.owner_site AND kind <> NEW.kind) THEN
          RAISE EXCEPTION 'secure aggregation: both kinds of share of one site';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER secagg_one_kind_per_site BEFORE INSERT ON secagg_revealed
        FOR EACH ROW EXECUTE FUNCTION secagg_one_kind_per_site();`;

/** Per version, what the plain translation cannot do. */
const POSTGRES_ADJUSTMENTS: Readonly<Record<number, (sql: string) => string>> = {
  2: (sql) => {
    if (!SQLITE_SECAGG_TRIGGER.test(sql))
      throw new Error('migration 2 no longer holds the trigger it adjusts');
    return sql.replace(SQLITE_SECAGG_TRIGGER, () => POSTGRES_SECAGG_TRIGGER); // a function: "$$" in a replacement string means "$"
  },
};

// Words of SQLite's dialect with no meaning (or another one) on PostgreSQL.
const SQLITE_ONLY = /\b(AUTOINCREMENT|PRAGMA|RAISE\s*\(|INSERT OR|REPLACE INTO|GLOB|WITHOUT ROWID|STRICT)\b/i;

/** A SQLite migration's text in PostgreSQL's dialect; throws if it holds something untranslated. */
export function postgresFormOf(migration: Migration): string {
  const adjusted = (POSTGRES_ADJUSTMENTS[migration.version] ?? ((sql: string) => sql))(migration.sql);
  const translated = adjusted
    .replace(/\)\s*STRICT\s*,\s*WITHOUT ROWID\s*;/g, ');')
    .replace(/\)\s*STRICT\s*;/g, ');')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/\bBLOB\b/g, 'BYTEA');
  const code = translated.replace(/--[^\n]*/g, '').replace(/\$\$[\s\S]*?\$\$/g, '');
  const leftover = SQLITE_ONLY.exec(code);
  if (leftover)
    throw new Error(
      `Hub migration ${migration.version} uses ${leftover[0]}, which PostgreSQL does not take: give it a form in POSTGRES_ADJUSTMENTS.`,
    );
  return translated;
}

export const POSTGRES_MIGRATIONS: readonly Migration[] = MIGRATIONS.map((migration) => ({
  ...migration,
  sql: postgresFormOf(migration),
}));

// The same table the SQLite runner keeps, so `radfed hub migrate` reads one layout on either engine.
const CREATE_POSTGRES_SCHEMA_MIGRATIONS = postgresFormOf({
  version: 0,
  name: 'schema_migrations',
  sql: `${CREATE_SCHEMA_MIGRATIONS};`,
});

/** The lock every replica takes before it reads the applied versions (see SqlTransaction.lock). */
export const MIGRATION_LOCK = 'radfed:hub:schema-migrations';

/**
 * Applies each pending migration in version order, one per transaction, under MIGRATION_LOCK: two
 * replicas starting at once both succeed and each migration runs once. Refuses a database newer than
 * the code with the hub's sentence. Returns the versions this call applied.
 */
export async function applyPostgresMigrations(
  engine: SqlEngine,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const applied: number[] = [];
  for (;;) {
    const next = await engine.transaction(async (tx) => {
      await tx.lock(MIGRATION_LOCK);
      await tx.run(CREATE_POSTGRES_SCHEMA_MIGRATIONS);
      const rows = await tx.all<{ version: number }>('SELECT version FROM schema_migrations');
      const migration = nextMigrationOrRefusal(new Set(rows.map((row) => row.version)), migrations);
      if (migration === undefined) return undefined;
      await tx.run(migration.sql);
      await tx.run(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @applied_at)',
        {
          version: migration.version,
          name: migration.name,
          applied_at: new Date().toISOString(),
        },
      );
      return migration.version;
    });
    if (next === undefined) return applied;
    applied.push(next);
  }
}

function nextMigrationOrRefusal(applied: ReadonlySet<number>, migrations: readonly Migration[]) {
  try {
    return nextMigration(applied, migrations);
  } catch (error) {
    throw error instanceof SchemaNewerThanCodeError ? newerSchemaError(error) : error;
  }
}

/** The sentence the SQLite hub gives (hub/store/hub-database.ts), for the same refusal. */
function newerSchemaError(error: SchemaNewerThanCodeError): HubError {
  return new HubError(
    'newer-schema',
    500,
    `The hub database has schema version ${error.databaseVersion}, newer than this RadFed knows (${error.codeVersion}); update RadFed.`,
    { cause: error },
  );
}
