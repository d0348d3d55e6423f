import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../hub-errors.ts';
import { startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { CHUNK_BYTES, PostgresBlobStore } from './postgres-blob-store.ts';
import { PostgresEngine } from './postgres-engine.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const MIB = 1024 * 1024;
let server: PostgresServer;
let engine: PostgresEngine;
let store: PostgresBlobStore;
let dir: string;

beforeAll(async () => {
  server = await startPostgresServer();
  engine = await PostgresEngine.open(server.url);
  store = await PostgresBlobStore.open(engine);
  dir = mkdtempSync(join(tmpdir(), 'radfed-pg-blobs-'));
});
afterAll(async () => {
  await engine.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** 64 MiB of pseudo-random bytes, made one 1 MiB piece at a time from a seed (never all at once). */
function* sixtyFourMiB(seed: string, pieces = 64): Generator<Buffer> {
  for (let piece = 0; piece < pieces; piece += 1) {
    const block = createHash('sha256').update(`${seed}:${piece}`).digest();
    const bytes = Buffer.alloc(MIB);
    for (let offset = 0; offset < MIB; offset += block.length) block.copy(bytes, offset);
    bytes.writeUInt32BE(piece, 0);
    yield bytes;
  }
}

// Node frees dead Buffers only when a collection runs, and lets up to 64 MiB of them build up first:
// left alone, the garbage of a streamed blob could pass for the blob itself. The test collects at each
// chunk, so what RSS shows is what the store holds.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The highest RSS seen while fn runs (sampled, and at each collect()), above what it was before. */
async function rssGrowthDuring(fn: () => Promise<void>): Promise<number> {
  collectGarbage();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage().rss) - before;
}

describe('PostgresBlobStore on a real PostgreSQL', () => {
  it('stores bytes under their SHA-256, reads them back, knows their size, and keeps one copy of the same bytes', async () => {
    const bytes = randomBytes(CHUNK_BYTES * 2 + 17);
    const sha256 = await store.put(bytes);
    expect(sha256).toBe(sha256Of(bytes));
    expect(await store.has(sha256)).toBe(true);
    expect(await store.sizeOf(sha256)).toBe(bytes.length);
    expect((await store.read(sha256)).equals(bytes)).toBe(true);
    expect(await store.put(bytes)).toBe(sha256);
    const copies = await engine.get<{ blobs: number; chunks: number }>(
      'SELECT (SELECT COUNT(*) FROM hub_blobs WHERE sha256 = @sha256) AS blobs, (SELECT COUNT(*) FROM hub_blob_chunks) AS chunks',
      { sha256 },
    );
    expect(copies).toEqual({ blobs: 1, chunks: 3 });
  });

  it('an empty blob is a blob; an unknown one is missing; a bad name is refused', async () => {
    const empty = await store.put(new Uint8Array(0));
    expect((await store.read(empty)).length).toBe(0);
    const unknown = 'ab'.repeat(32);
    expect(await store.has(unknown)).toBe(false);
    await expect(store.read(unknown)).rejects.toThrow(
      `Blob ${unknown.slice(0, 12)}… is missing from the hub's store.`,
    );
    await expect(store.has('../../etc/passwd')).rejects.toThrow(HubError);
  });

  it('adopts a finished file under its hash and removes it; a file that is not that hash is refused', async () => {
    const bytes = randomBytes(3000);
    const file = join(dir, 'upload.part');
    writeFileSync(file, bytes);
    await store.adopt(file, sha256Of(bytes));
    expect(existsSync(file)).toBe(false);
    expect((await store.read(sha256Of(bytes))).equals(bytes)).toBe(true);
    writeFileSync(file, bytes);
    await expect(store.adopt(file, 'cd'.repeat(32))).rejects.toThrow('is not.');
    expect(await store.has('cd'.repeat(32))).toBe(false);
  });

  it('streams a 64 MiB blob in and out without the process holding it: RSS grows by far less than 64 MiB', async () => {
    // Warm up (pg's buffers, the JIT, the heap's first growth), so what is measured is the blob.
    for await (const part of await store.openReadStream(await store.putStream(sixtyFourMiB('warm', 4))))
      void part;
    const expected = createHash('sha256');
    for (const piece of sixtyFourMiB('big')) expected.update(piece);
    let sha256 = '';
    const storedWhenAsked: number[] = [];
    async function* countingSource(): AsyncGenerator<Buffer> {
      for (const piece of sixtyFourMiB('big')) {
        collectGarbage();
        const stored = await engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM hub_blob_chunks');
        storedWhenAsked.push(stored?.n ?? 0);
        yield piece;
      }
    }
    const chunksBefore =
      (await engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM hub_blob_chunks'))?.n ?? 0;
    const writing = await rssGrowthDuring(async () => {
      sha256 = await store.putStream(countingSource());
    });
    // Chunk by chunk the store holds a few MiB; holding the blob would add 64 MiB and more.
    expect(writing).toBeLessThan(24 * MIB);
    expect(sha256).toBe(expected.digest('hex'));
    expect(await store.sizeOf(sha256)).toBe(64 * MIB);
    // Chunks reach the database while the source is still being read, not all at the end.
    expect((storedWhenAsked[32] ?? 0) - chunksBefore).toBeGreaterThanOrEqual(31);

    const readBack = createHash('sha256');
    let bytesRead = 0;
    const reading = await rssGrowthDuring(async () => {
      for await (const part of await store.openReadStream(sha256)) {
        collectGarbage();
        readBack.update(part as Buffer);
        bytesRead += (part as Buffer).length;
      }
    });
    expect(bytesRead).toBe(64 * MIB);
    expect(readBack.digest('hex')).toBe(sha256);
    expect(reading).toBeLessThan(24 * MIB);
  });

  it('a writer killed with SIGKILL mid-blob leaves no visible blob, and its chunks are swept', async () => {
    const url = await server.createDatabase('killed_writer');
    const writer = spawn(
      process.execPath,
      ['--import', 'tsx', 'hub/store/testing/blob-writer-child.ts', url],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    await new Promise<void>((resolve, reject) => {
      writer.stdout.on('data', (part: Buffer) => {
        output += part.toString();
        if (output.includes('pieces taken 4')) resolve();
      });
      writer.stderr.on('data', (part: Buffer) => (output += part.toString()));
      writer.once('exit', (code) =>
        reject(new Error(`the writer exited ${code} before it was killed: ${output}`)),
      );
    });
    writer.kill('SIGKILL');
    await new Promise((resolve) => writer.once('close', resolve));

    const other = await PostgresEngine.open(url);
    try {
      const otherStore = await PostgresBlobStore.open(other);
      const left = await other.get<{ blobs: number; chunks: number }>(
        'SELECT (SELECT COUNT(*) FROM hub_blobs) AS blobs, (SELECT COUNT(*) FROM hub_blob_chunks) AS chunks',
      );
      expect(left?.blobs).toBe(0);
      expect(left?.chunks).toBeGreaterThanOrEqual(3);
      // A write in progress is kept; one older than the cut-off is swept with its chunks.
      expect(await otherStore.sweepAbandonedWrites(60 * 60 * 1000)).toBe(0);
      expect(await otherStore.sweepAbandonedWrites(-1)).toBe(1);
      expect(await other.get('SELECT COUNT(*) AS chunks FROM hub_blob_chunks')).toEqual({ chunks: 0 });
    } finally {
      await other.close();
    }
  });
});
