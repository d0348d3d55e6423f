import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../hub-errors.ts';
import { startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { BlobStore } from './blob-store.ts';
import { FolderBlobs, type HubBlobs } from './hub-blobs.ts';
import { CHUNK_BYTES, PostgresBlobStore } from './postgres-blob-store.ts';
import { PostgresEngine } from './postgres-engine.ts';

let dir: string;
let server: PostgresServer;
let engine: PostgresEngine;
const backends: Record<string, HubBlobs> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-hub-blobs-'));
  server = await startPostgresServer();
  engine = await PostgresEngine.open(server.url);
  backends['folder'] = new FolderBlobs(new BlobStore(join(dir, 'blobs')));
  backends['postgres'] = await PostgresBlobStore.open(engine);
});
afterAll(async () => {
  await engine.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe.each(['folder', 'postgres'])('the %s blob backend keeps the one blob contract', (name) => {
  const blobs = (): HubBlobs => backends[name] as HubBlobs;

  it('put, has, sizeOf, read and openReadStream agree on the bytes, named by their SHA-256', async () => {
    const bytes = randomBytes(CHUNK_BYTES + 5);
    const sha256 = await blobs().put(bytes);
    expect(sha256).toBe(sha256Of(bytes));
    expect(await blobs().has(sha256)).toBe(true);
    expect(await blobs().sizeOf(sha256)).toBe(bytes.length);
    expect((await blobs().read(sha256)).equals(bytes)).toBe(true);
    const parts: Buffer[] = [];
    for await (const part of await blobs().openReadStream(sha256)) parts.push(part as Buffer);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    expect(await blobs().put(bytes)).toBe(sha256);
  });

  it('putStream stores pieces as one blob; the same bytes again leave nothing behind', async () => {
    const pieces = [randomBytes(1000), randomBytes(CHUNK_BYTES), randomBytes(7)];
    const sha256 = await blobs().putStream(pieces);
    expect(sha256).toBe(sha256Of(Buffer.concat(pieces)));
    expect((await blobs().read(sha256)).equals(Buffer.concat(pieces))).toBe(true);
    expect(await blobs().putStream(pieces)).toBe(sha256);
    if (name === 'folder') expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('adopts a finished file, and the file is gone afterwards, also when the blob was there already', async () => {
    const bytes = randomBytes(2048);
    for (let time = 0; time < 2; time += 1) {
      const file = join(dir, `${name}-${time}.part`);
      writeFileSync(file, bytes);
      await blobs().adopt(file, sha256Of(bytes));
      expect(existsSync(file)).toBe(false);
    }
    expect((await blobs().read(sha256Of(bytes))).equals(bytes)).toBe(true);
  });

  it('streams a byte range, inclusive at both ends, across chunk boundaries', async () => {
    const bytes = randomBytes(CHUNK_BYTES * 2 + 300);
    const sha256 = await blobs().put(bytes);
    for (const [start, end] of [
      [0, 0],
      [CHUNK_BYTES - 10, CHUNK_BYTES + 10],
      [5, bytes.length - 1],
      [CHUNK_BYTES * 2, CHUNK_BYTES * 2 + 299],
    ] as const) {
      const parts: Buffer[] = [];
      for await (const part of await blobs().openReadStream(sha256, { start, end }))
        parts.push(part as Buffer);
      expect(Buffer.concat(parts).equals(bytes.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });

  it('a blob it does not hold is missing in the same words; a name that is not a SHA-256 is refused', async () => {
    const unknown = 'ef'.repeat(32);
    expect(await blobs().has(unknown)).toBe(false);
    const sentence = `Blob ${unknown.slice(0, 12)}… is missing from the hub's store.`;
    await expect(blobs().read(unknown)).rejects.toThrow(sentence);
    await expect(blobs().sizeOf(unknown)).rejects.toThrow(sentence);
    await expect(blobs().openReadStream(unknown)).rejects.toThrow(sentence);
    await expect(blobs().has('../../x')).rejects.toThrow(HubError);
  });
});
