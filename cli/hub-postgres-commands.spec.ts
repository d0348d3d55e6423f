// `radfed hub init|migrate|serve --database postgres://…` through the real entry, on a real PostgreSQL
// started in a temporary folder: the state goes to the database, and each way it can go wrong is one
// sentence that says what to do and never repeats the password.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freeLoopbackPort,
  startPostgresServer,
  type PostgresServer,
} from '../hub/testing/postgres-server.ts';
import { encodeWeights } from '../shared/federation/index.ts';
import { testTask, testWeights } from '../hub/testing/test-hub.ts';
import { runRadfed } from './test-cli.ts';

let server: PostgresServer;
let root: string;

beforeAll(async () => {
  server = await startPostgresServer();
  root = mkdtempSync(join(tmpdir(), 'radfed-hub-pg-cli-'));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('radfed hub on PostgreSQL', () => {
  it('init --database records the store (0600), migrates the database and claims it for this hub', async () => {
    const url = await server.createDatabase('cli_init');
    const dir = join(root, 'init');
    const shared = join(root, 'init-shared');
    const created = await runRadfed(
      'hub',
      'init',
      '--dir',
      dir,
      '--database',
      url,
      '--blobs',
      `folder:${shared}`,
    );
    expect(created.err).toBe('');
    expect(created.status).toBe(0);
    expect(created.out).toContain('state in PostgreSQL');
    expect(created.out).toContain(`blobs in ${shared} (mount it on every replica)`);
    expect(created.out + created.err).not.toContain(server.password);
    expect(statSync(join(dir, 'store.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8'))).toMatchObject({
      blobs: `folder:${shared}`,
    });
    const tables = await query(
      url,
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('tasks', 'hub_identity')",
    );
    expect(tables.rows[0]).toEqual({ n: 2 });

    const again = await runRadfed('hub', 'migrate', '--dir', dir);
    expect(again.status).toBe(0);
    expect(again.out).toMatch(/^Hub schema on postgres at version \d+ \(already current\)\.\n$/);

    // A command that reads the hub (task list) goes to the database recorded in store.json.
    const listed = await runRadfed('hub', 'task', 'list', '--dir', dir);
    expect(listed.err).toBe('');
    expect(listed.status).toBe(0);
  }, 60_000);

  it('init --blobs postgres records it, and a task made from the folder keeps its model in the database', async () => {
    const url = await server.createDatabase('cli_blobs');
    const dir = join(root, 'pg-blobs');
    const created = await runRadfed('hub', 'init', '--dir', dir, '--database', url, '--blobs', 'postgres');
    expect(created.err).toBe('');
    expect(created.status).toBe(0);
    expect(created.out).toContain('blobs in PostgreSQL;');
    expect(JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8'))).toMatchObject({ blobs: 'postgres' });
    const taskFile = join(root, 'pg-blobs-task.json');
    const weightsFile = join(root, 'pg-blobs-weights.rfw');
    writeFileSync(taskFile, JSON.stringify(testTask()));
    writeFileSync(weightsFile, encodeWeights(testWeights(3), 'none'));
    const task = await runRadfed(
      'hub',
      'task',
      'create',
      '--dir',
      dir,
      '--file',
      taskFile,
      '--weights',
      weightsFile,
    );
    expect(task.err).toBe('');
    expect(task.status).toBe(0);
    const blobs = await query(url, 'SELECT count(*)::int AS n FROM hub_blobs');
    expect(blobs.rows[0]).toEqual({ n: 1 });
    expect(
      readdirSync(join(dir, 'blobs'), { recursive: true }).filter((name) =>
        /^[0-9a-f]{2}\//.test(String(name)),
      ),
    ).toEqual([]);
  }, 60_000);

  it('a second hub folder pointed at the same database is refused: the replicas would disagree on the hub', async () => {
    const url = await server.createDatabase('cli_identity');
    expect((await runRadfed('hub', 'init', '--dir', join(root, 'first'), '--database', url)).status).toBe(0);
    const other = await runRadfed('hub', 'init', '--dir', join(root, 'second'), '--database', url);
    expect(other.status).toBe(1);
    expect(other.err).toContain('This database belongs to a hub with other keys');
    expect(other.err).toContain('Give every replica a copy of the same hub folder');
    expect(other.err).not.toContain(server.password);
    // Through serve as well: a replica started from the wrong folder does not come up.
    const serve = await runRadfed('hub', 'serve', '--dir', join(root, 'second'), '--port', '0');
    expect(serve.status).toBe(1);
    expect(serve.err).toContain('This database belongs to a hub with other keys');
  }, 60_000);

  it('a database whose schema is newer than the code is refused with what to do', async () => {
    const url = await server.createDatabase('cli_newer');
    const dir = join(root, 'newer');
    expect((await runRadfed('hub', 'init', '--dir', dir, '--database', url)).status).toBe(0);
    await query(
      url,
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from the future', 'x')",
    );
    const migrated = await runRadfed('hub', 'migrate', '--dir', dir);
    expect(migrated.status).toBe(1);
    expect(migrated.err).toContain('schema version 9999, newer than this RadFed knows');
    expect(migrated.err).toContain('update RadFed');
  }, 60_000);

  it('an unreachable PostgreSQL is one sentence naming host:port, without the password', async () => {
    const dir = join(root, 'unreachable');
    expect((await runRadfed('hub', 'init', '--dir', dir)).status).toBe(0);
    const port = await freeLoopbackPort();
    const url = `postgres://radfed:${server.password}@127.0.0.1:${port}/radfed`;
    for (const args of [
      ['hub', 'init', '--dir', join(root, 'never-made'), '--database', url],
      ['hub', 'migrate', '--dir', dir, '--database', url],
      ['hub', 'serve', '--dir', dir, '--port', '0', '--database', url],
    ]) {
      const result = await runRadfed(...args);
      expect(result.status).toBe(1);
      expect(result.err).toBe(
        `radfed: Cannot reach PostgreSQL at 127.0.0.1:${port}: connection refused. Check --database and that the server is running.\n`,
      );
    }
    expect(existsSync(join(root, 'never-made'))).toBe(false);
  }, 60_000);

  it('--blobs is refused without --database, and a bad --blobs says what it takes', async () => {
    const dir = join(root, 'blobs-alone');
    const alone = await runRadfed('hub', 'init', '--dir', dir, '--blobs', 'folder:/tmp/x');
    expect(alone.status).toBe(1);
    expect(alone.err).toContain('--blobs goes with --database');
    expect(existsSync(dir)).toBe(false);
    const bad = await runRadfed('hub', 'migrate', '--dir', dir, '--blobs', 'somewhere');
    expect(bad.status).not.toBe(0);
    expect(bad.err).toContain('--blobs takes `postgres`');
  });

  it('migrate on a SQLite hub reports its version', async () => {
    const dir = join(root, 'sqlite');
    expect((await runRadfed('hub', 'init', '--dir', dir)).status).toBe(0);
    const migrated = await runRadfed('hub', 'migrate', '--dir', dir);
    expect(migrated.status).toBe(0);
    expect(migrated.out).toMatch(/^Hub schema on sqlite at version \d+ \(already current\)\.\n$/);
  });
});
