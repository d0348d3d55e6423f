// What the PostgreSQL store costs beside the embedded one, on a real PostgreSQL started in a temporary
// folder (docs/benchmarks.md, "Hub store on PostgreSQL"):
// - a query's round trip (SELECT 1) and a transaction with an advisory lock, beside better-sqlite3;
// - a blob of N MiB streamed into and out of PostgreSQL, beside the folder store, with peak RSS growth;
// - how long a NOTIFY takes to wake a listener on another connection.
// Run: npx tsx hub/store/testing/postgres-store-benchmark.ts [blob MiB, default 64]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../../shared/node/index.ts';
import { startPostgresServer } from '../../testing/postgres-server.ts';
import { BlobStore } from '../blob-store.ts';
import { PostgresBlobStore } from '../postgres-blob-store.ts';
import { PostgresEngine } from '../postgres-engine.ts';
import { PostgresEvents, publishHubEvent } from '../postgres-events.ts';

const MIB = 1024 * 1024;
const blobMiB = Number(process.argv[2] ?? 64);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timeEach(times: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < times; index += 1) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

async function measured(fn: () => Promise<void>): Promise<{ ms: number; rssGrowthMiB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const start = process.hrtime.bigint();
  await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  clearInterval(sampler);
  return { ms, rssGrowthMiB: (Math.max(peak, process.memoryUsage().rss) - before) / MIB };
}

function* pieces(count: number, seed: string): Generator<Buffer> {
  for (let piece = 0; piece < count; piece += 1) {
    const block = createHash('sha256').update(`${seed}:${piece}`).digest();
    const bytes = Buffer.alloc(MIB);
    for (let offset = 0; offset < MIB; offset += block.length) block.copy(bytes, offset);
    yield bytes;
  }
}

const server = await startPostgresServer({ durable: true });
const folder = mkdtempSync(join(tmpdir(), 'radfed-store-bench-'));
const engine = await PostgresEngine.open(server.url);
const events = await PostgresEvents.open(server.url);
try {
  // Opened as the hub opens its file (the one opener: WAL, synchronous=FULL), so the figures compare alike.
  const sqlite = openSqliteDatabase(join(folder, 'bench.db'), { synchronous: 'FULL' });
  sqlite.exec(
    'CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO counter VALUES (1, 0)',
  );
  await engine.run(
    'CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO counter VALUES (1, 0)',
  );
  const selectOne = sqlite.prepare('SELECT 1 AS ok');
  const bump = sqlite.prepare('UPDATE counter SET n = n + 1 WHERE id = 1');
  console.log('query round trip, median of 2000 (ms)');
  console.log(`  SQLite SELECT 1: ${(await timeEach(2000, () => selectOne.get())).toFixed(4)}`);
  console.log(
    `  PostgreSQL SELECT 1: ${(await timeEach(2000, () => engine.get('SELECT 1 AS ok'))).toFixed(4)}`,
  );
  console.log('transaction: lock + UPDATE + COMMIT, median of 500 (ms)');
  console.log(
    `  SQLite (IMMEDIATE, synchronous=FULL): ${(await timeEach(500, () => sqlite.transaction(() => bump.run()).immediate())).toFixed(4)}`,
  );
  const pgTransaction = () =>
    engine.transaction(async (tx) => {
      await tx.lock('round:bench');
      await tx.run('UPDATE counter SET n = n + 1 WHERE id = 1');
    });
  console.log(`  PostgreSQL (advisory lock, fsync on): ${(await timeEach(500, pgTransaction)).toFixed(4)}`);
  sqlite.close();

  const blobs = await PostgresBlobStore.open(engine);
  const folderBlobs = new BlobStore(join(folder, 'blobs'));
  await blobs.read(await blobs.putStream(pieces(4, 'warm-up')));
  let sha256 = '';
  const pgWrite = await measured(async () => {
    sha256 = await blobs.putStream(pieces(blobMiB, 'bench'));
  });
  const pgRead = await measured(async () => {
    for await (const part of await blobs.openReadStream(sha256)) void part;
  });
  const folderWrite = await measured(() => {
    folderBlobs.put(Buffer.concat([...pieces(blobMiB, 'bench')]));
    return Promise.resolve();
  });
  console.log(`blob of ${blobMiB} MiB: MiB/s, peak RSS growth MiB`);
  const rate = (ms: number) => (blobMiB / (ms / 1000)).toFixed(1);
  console.log(
    `  PostgreSQL write (1 MiB rows, streamed): ${rate(pgWrite.ms)}, ${pgWrite.rssGrowthMiB.toFixed(1)}`,
  );
  console.log(`  PostgreSQL read (streamed): ${rate(pgRead.ms)}, ${pgRead.rssGrowthMiB.toFixed(1)}`);
  console.log(
    `  folder store put (whole buffer, fsync): ${rate(folderWrite.ms)}, ${folderWrite.rssGrowthMiB.toFixed(1)}`,
  );

  let wake: () => void = () => undefined;
  await events.subscribe('bench:wake', () => wake());
  const wakeMs = await timeEach(300, async () => {
    const woke = new Promise<void>((resolve) => (wake = resolve));
    await publishHubEvent(engine, 'bench:wake', 'x');
    await woke;
  });
  console.log(`NOTIFY to a listener on another connection, median of 300: ${wakeMs.toFixed(3)} ms`);
} finally {
  await events.close();
  await engine.close();
  await server.stop();
  rmSync(folder, { recursive: true, force: true });
}
