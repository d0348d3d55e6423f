import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../hub-errors.ts';
import { startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { openHubDatabase } from './hub-database.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';
import { PostgresEngine } from './postgres-engine.ts';
import { claimHubIdentity } from './postgres-hub-identity.ts';
import { applyPostgresMigrations, POSTGRES_MIGRATIONS, postgresFormOf } from './postgres-migrations.ts';

interface ColumnShape {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
}

// The PostgreSQL type each SQLite column type is translated to (postgres-migrations.ts).
const POSTGRES_TYPE_OF: Record<string, string> = {
  TEXT: 'text',
  INTEGER: 'bigint',
  REAL: 'double precision',
  BLOB: 'bytea',
};

const allVersions = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);
let server: PostgresServer;
let dir: string;
const engines: PostgresEngine[] = [];

async function engineOn(database: string): Promise<PostgresEngine> {
  const engine = await PostgresEngine.open(await server.createDatabase(database));
  engines.push(engine);
  return engine;
}

beforeAll(async () => {
  server = await startPostgresServer();
  dir = mkdtempSync(join(tmpdir(), 'radfed-pg-migrations-'));
});
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()));
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('hub migrations on PostgreSQL', () => {
  it('has the same versions and names as the SQLite migrations, each translated', () => {
    expect(POSTGRES_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(
      MIGRATIONS.map((m) => [m.version, m.name]),
    );
    for (const migration of POSTGRES_MIGRATIONS) expect(migration.sql).not.toMatch(/STRICT|ROWID|RAISE\(/);
  });

  it('refuses to translate a migration that uses SQLite-only SQL, naming the word and what to do', () => {
    expect(() =>
      postgresFormOf({ version: 99, name: 'x', sql: 'INSERT OR IGNORE INTO t VALUES (1);' }),
    ).toThrow(
      'Hub migration 99 uses INSERT OR, which PostgreSQL does not take: give it a form in POSTGRES_ADJUSTMENTS.',
    );
  });

  it('leaves the SQLite and PostgreSQL schemas with the same tables, columns, types, nullability, indexes and triggers', async () => {
    const sqlite = openHubDatabase(join(dir, 'hub.db'));
    const postgres = await engineOn('compare_schemas');
    expect(await applyPostgresMigrations(postgres)).toEqual(allVersions);

    const sqliteTables = sqlite
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    const sqliteColumns: ColumnShape[] = sqliteTables.flatMap((table) =>
      sqlite
        .prepare<[], { name: string; type: string; notnull: number; pk: number }>(
          `PRAGMA table_info(${table})`,
        )
        .all()
        .map((column) => ({
          table,
          column: column.name,
          type: POSTGRES_TYPE_OF[column.type] ?? `untranslated ${column.type}`,
          // A PRIMARY KEY column is NOT NULL on PostgreSQL; SQLite only enforces it where declared,
          // and every hub row is written with its key, so the two mean the same here.
          nullable: column.notnull === 0 && column.pk === 0,
        })),
    );
    const postgresColumns = (
      await postgres.all<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> 'hub_identity' ORDER BY table_name, ordinal_position`,
      )
    ).map((row) => ({
      table: row.table_name,
      column: row.column_name,
      type: row.data_type,
      nullable: row.is_nullable === 'YES',
    }));
    expect(postgresColumns).toEqual(sqliteColumns);

    // Indexes and triggers the migrations create by name (not those each engine makes for keys).
    const sqliteNamed = sqlite
      .prepare<[], string>(
        "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY 1",
      )
      .pluck()
      .all();
    const postgresNamed = await postgres.all<{ named: string }>(
      `SELECT named FROM (
         SELECT 'index ' || indexname AS named FROM pg_indexes
         WHERE schemaname = 'public' AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'
         UNION SELECT 'trigger ' || trigger_name FROM information_schema.triggers WHERE trigger_schema = 'public'
       ) AS both_kinds ORDER BY 1`,
    );
    expect(postgresNamed.map((row) => row.named)).toEqual(sqliteNamed);
    sqlite.close();
  });

  it('keeps the secure-aggregation trigger: both kinds of share of one site are refused', async () => {
    const postgres = await engineOn('trigger_check');
    await applyPostgresMigrations(postgres);
    await postgres.run(`INSERT INTO enrollment_tokens (id, secret_sha256, created_at, expires_at) VALUES ('t', 's', 'n', 'l');
      INSERT INTO sites (id, name, signing_public_key, exchange_public_key, token_id, enrolled_at)
        VALUES ('a', 'A', 'ka', 'xa', 't', 'n'), ('b', 'B', 'kb', 'xb', 't', 'n');
      INSERT INTO tasks (id, name, definition, state, created_at) VALUES ('task', 'T', '{}', 'active', 'n');
      INSERT INTO secagg_revealed (task_id, round, holder_site, owner_site, kind, share)
        VALUES ('task', 1, 'a', 'b', 'self-mask', 's1');`);
    await expect(
      postgres.run(`INSERT INTO secagg_revealed (task_id, round, holder_site, owner_site, kind, share)
        VALUES ('task', 1, 'b', 'b', 'mask-key', 's2')`),
    ).rejects.toThrow('secure aggregation: both kinds of share of one site');
  });

  it('two replicas migrating one fresh database at once both succeed, and each migration runs once', async () => {
    const url = await server.createDatabase('two_replicas');
    const [first, second] = await Promise.all([PostgresEngine.open(url), PostgresEngine.open(url)]);
    engines.push(first, second);
    const [appliedByFirst, appliedBySecond] = await Promise.all([
      applyPostgresMigrations(first),
      applyPostgresMigrations(second),
    ]);
    expect([...appliedByFirst, ...appliedBySecond].sort((a, b) => a - b)).toEqual(allVersions);
    const rows = await first.all<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((row) => row.version)).toEqual(allVersions);
    expect(await applyPostgresMigrations(second)).toEqual([]);
  });

  it('refuses a database newer than the code, with the same sentence as the SQLite hub', async () => {
    const postgres = await engineOn('newer_schema');
    await applyPostgresMigrations(postgres);
    await postgres.run(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, 'from a newer RadFed', 'n')",
      {
        v: LATEST_SCHEMA_VERSION + 1,
      },
    );
    const error = await applyPostgresMigrations(postgres).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).message).toBe(
      `The hub database has schema version ${LATEST_SCHEMA_VERSION + 1}, newer than this RadFed knows (${LATEST_SCHEMA_VERSION}); update RadFed.`,
    );
  });
});

describe('hub identity on PostgreSQL', () => {
  const identity = { caFingerprint: 'ca-1', signingKeyFingerprint: 'sign-1', exchangePublicKey: 'x-1' };

  it('the first replica records its keys; a replica with the same hub folder starts; one with another folder is refused', async () => {
    const url = await server.createDatabase('identity');
    const [first, second] = await Promise.all([PostgresEngine.open(url), PostgresEngine.open(url)]);
    engines.push(first, second);
    await Promise.all([claimHubIdentity(first, identity), claimHubIdentity(second, identity)]);
    await claimHubIdentity(second, identity);
    const other = { ...identity, signingKeyFingerprint: 'sign-2' };
    const error = await claimHubIdentity(second, other).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe('hub-identity-mismatch');
    expect((error as HubError).message).toContain(
      "the database's signing key is sign-1, this folder's is sign-2",
    );
    expect((error as HubError).message).toContain('Give every replica a copy of the same hub folder');
    // A changed CA alone (a hub folder re-initialised with the same keys copied in) is refused too.
    await expect(claimHubIdentity(first, { ...identity, caFingerprint: 'ca-2' })).rejects.toThrow(HubError);
  });
});
