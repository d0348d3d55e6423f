// The upload spool's contract on both backends: .part files in a folder, and rows in a real PostgreSQL
// (what a hub with `--blobs postgres` uses, so its replicas share no disk).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { BlobStore } from './blob-store.ts';
import { FolderBlobs, type HubBlobs } from './hub-blobs.ts';
import { CHUNK_BYTES, PostgresBlobStore } from './postgres-blob-store.ts';
import { PostgresEngine } from './postgres-engine.ts';
import { PostgresUploadSpool } from './postgres-upload-spool.ts';
import { FolderUploadSpool, type UploadSpool } from './upload-spool.ts';

let dir: string;
let server: PostgresServer;
let engine: PostgresEngine;
const backends: Record<string, { spool: UploadSpool; blobs: HubBlobs }> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-upload-spool-'));
  mkdirSync(join(dir, 'uploads'));
  server = await startPostgresServer();
  engine = await PostgresEngine.open(server.url);
  backends['folder'] = {
    spool: new FolderUploadSpool(join(dir, 'uploads')),
    blobs: new FolderBlobs(new BlobStore(join(dir, 'blobs'))),
  };
  backends['postgres'] = {
    spool: await PostgresUploadSpool.open(engine),
    blobs: await PostgresBlobStore.open(engine),
  };
}, 120_000);
afterAll(async () => {
  await engine?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe.each(['folder', 'postgres'])('the %s upload spool', (name) => {
  const spool = (): UploadSpool => backends[name]!.spool;
  const blobs = (): HubBlobs => backends[name]!.blobs;

  it('holds chunks in order, hashes them, and moves them into the blob store, holding nothing after', async () => {
    const id = `up_${name}_whole`;
    // Chunks larger than a PostgreSQL row, so one chunk is several rows.
    const chunk = CHUNK_BYTES + 1000;
    const bytes = randomBytes(chunk * 2 + 17);
    expect(await spool().holds(id)).toBe(false);
    for (let offset = 0; offset < bytes.length; offset += chunk)
      await spool().writeChunk(id, offset, bytes.subarray(offset, offset + chunk));
    expect(await spool().holds(id)).toBe(true);
    expect(await spool().hash(id)).toBe(sha256Of(bytes));
    await spool().moveInto(blobs(), id, sha256Of(bytes));
    expect(await spool().holds(id)).toBe(false);
    expect((await blobs().read(sha256Of(bytes))).equals(bytes)).toBe(true);
  });

  it('a chunk written again after a crash replaces what was held past its start', async () => {
    const id = `up_${name}_rewrite`;
    const first = randomBytes(1000);
    const second = randomBytes(1000);
    await spool().writeChunk(id, 0, first);
    // A killed process had stored a longer second chunk than the one the site sends again.
    await spool().writeChunk(id, 1000, randomBytes(CHUNK_BYTES + 5));
    await spool().writeChunk(id, 1000, second);
    expect(await spool().hash(id)).toBe(sha256Of(Buffer.concat([first, second])));
    await spool().remove(id);
    expect(await spool().holds(id)).toBe(false);
  });

  it('removes the bytes of uploads no longer receiving, and keeps the others', async () => {
    for (const id of [`up_${name}_open`, `up_${name}_orphan`])
      await spool().writeChunk(id, 0, Buffer.from('abc'));
    const removed = await spool().removeAllBut(() => Promise.resolve(new Set([`up_${name}_open`])));
    expect(removed).toBe(1);
    expect(await spool().holds(`up_${name}_open`)).toBe(true);
    expect(await spool().holds(`up_${name}_orphan`)).toBe(false);
    await spool().remove(`up_${name}_open`);
  });
});

describe('the PostgreSQL upload spool under replicas', () => {
  it('the same chunk written at once through several connections (a retry reaching two replicas) is stored once', async () => {
    const spool = backends['postgres']!.spool;
    const id = 'up_postgres_raced';
    const chunk = randomBytes(CHUNK_BYTES * 3);
    const writes = await Promise.allSettled(Array.from({ length: 4 }, () => spool.writeChunk(id, 0, chunk)));
    expect(writes.map((write) => write.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(await spool.hash(id)).toBe(sha256Of(chunk));
    await spool.remove(id);
  });
});

describe('what a kill -9 leaves in the folder blob store', () => {
  it('an unfinished write in tmp/ is swept once older than the cutoff, not before', async () => {
    const folder = new FolderBlobs(new BlobStore(join(dir, 'swept')));
    const left = join(dir, 'swept', 'tmp', 'killed-mid-write.tmp');
    writeFileSync(left, randomBytes(100));
    expect(await folder.sweepAbandonedWrites(60_000)).toBe(0);
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(left, twoMinutesAgo, twoMinutesAgo);
    expect(await folder.sweepAbandonedWrites(60_000)).toBe(1);
    expect(existsSync(left)).toBe(false);
  });
});
