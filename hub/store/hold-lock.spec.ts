// SqlEngine.holdLock, the lock a replica holds for as long as it serves something alone (a split task's
// trunk): on a real PostgreSQL, one replica gets it and another is told at once; a holder whose
// connection dies is told through `lost`, and the other replica then gets it; release() hands it on.
// On SQLite (one process) it is granted unless this process holds it already.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir, startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { openHubDatabase } from './hub-database.ts';
import { PostgresEngine } from './postgres-engine.ts';
import { SqliteEngine } from './sqlite-engine.ts';

function postgresInstalled(): boolean {
  try {
    postgresBinDir();
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!postgresInstalled())('holdLock on a real PostgreSQL', () => {
  let server: PostgresServer;
  let first: PostgresEngine;
  let second: PostgresEngine;

  beforeAll(async () => {
    server = await startPostgresServer();
    first = await PostgresEngine.open(server.url);
    second = await PostgresEngine.open(server.url);
  }, 120_000);
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await server?.stop();
  });

  it('one replica holds it; another, and the holder asking again, are told no; release hands it on', async () => {
    const lease = await first.holdLock('trunk:task-a');
    expect(lease).toBeDefined();
    expect(await second.holdLock('trunk:task-a')).toBeUndefined();
    // Session locks stack in PostgreSQL: the engine itself must say no to a second holder here.
    expect(await first.holdLock('trunk:task-a')).toBeUndefined();
    // Another key is another lock, and exclusively on the same key is the same lock.
    const other = await second.holdLock('trunk:task-b');
    expect(other).toBeDefined();
    expect(await first.exclusively('trunk:task-b', () => Promise.resolve('ran'))).toBeUndefined();
    await lease!.release();
    expect(lease!.lost.aborted).toBe(false);
    const taken = await second.holdLock('trunk:task-a');
    expect(taken).toBeDefined();
    await taken!.release();
    await other!.release();
  });

  it('a holder whose connection dies is told through lost, and the other replica takes the lock', async () => {
    const lease = await first.holdLock('trunk:task-c');
    expect(lease).toBeDefined();
    const lost = new Promise<void>((resolve) => lease!.lost.addEventListener('abort', () => resolve()));
    const holder = await second.get<{ pid: number }>(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted LIMIT 1",
    );
    await second.run('SELECT pg_terminate_backend(@pid)', { pid: holder!.pid });
    await lost;
    let taken: Awaited<ReturnType<PostgresEngine['holdLock']>>;
    await waitFor(async () => (taken = await second.holdLock('trunk:task-c')) !== undefined);
    // The first engine opens a new lock connection and is told no, not granted on a stacked lock.
    expect(await first.holdLock('trunk:task-c')).toBeUndefined();
    await taken!.release();
  });
});

describe('holdLock on SQLite (one process)', () => {
  let dir: string;
  let engine: SqliteEngine;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'radfed-hold-lock-'));
    engine = new SqliteEngine(openHubDatabase(join(dir, 'hub.db')));
  });
  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is granted once until released, and never lost', async () => {
    const lease = await engine.holdLock('trunk:task-a');
    expect(lease).toBeDefined();
    expect(await engine.holdLock('trunk:task-a')).toBeUndefined();
    await lease!.release();
    const again = await engine.holdLock('trunk:task-a');
    expect(again?.lost.aborted).toBe(false);
    await again!.release();
  });
});
