// Which engine the hub's specs run on. By default every test hub keeps its state in SQLite, as a hub
// does out of the box. With RADFED_TEST_HUB_ENGINE=postgres (`npm run test:hub-postgres`), makeTestHub
// puts each test hub in its own fresh database on one real PostgreSQL started for the spec file (and
// stopped with it), so the same specs check both engines. RADFED_TEST_HUB_BLOBS=postgres puts the test
// hubs' blobs and upload spools in that database too (`--blobs postgres`).
import { startPostgresServer, type PostgresServer } from './postgres-server.ts';

let server: Promise<PostgresServer> | undefined;
let made = 0;

export function testEngine(): 'sqlite' | 'postgres' {
  const asked = process.env.RADFED_TEST_HUB_ENGINE ?? 'sqlite';
  if (asked !== 'sqlite' && asked !== 'postgres')
    throw new Error(`RADFED_TEST_HUB_ENGINE is "${asked}"; set it to sqlite (the default) or postgres.`);
  return asked;
}

/** Where the test hubs on PostgreSQL keep their blobs: their folder (the default) or the database. */
export function testBlobs(): 'folder' | 'postgres' {
  const asked = process.env.RADFED_TEST_HUB_BLOBS ?? 'folder';
  if (asked !== 'folder' && asked !== 'postgres')
    throw new Error(`RADFED_TEST_HUB_BLOBS is "${asked}"; set it to folder (the default) or postgres.`);
  return asked;
}

/** A fresh database URL for one test hub on PostgreSQL; undefined when the specs run on SQLite. */
export async function testDatabaseUrl(): Promise<string | undefined> {
  if (testEngine() === 'sqlite') return undefined;
  return postgresTestDatabaseUrl();
}

/** A fresh database on the spec file's PostgreSQL, whichever engine the other specs run on. */
export async function postgresTestDatabaseUrl(): Promise<string> {
  server ??= startPostgresServer();
  made += 1;
  return (await server).createDatabase(`hub_test_${process.pid}_${made}`);
}
