// The blob store as every hub caller uses it (ctx.store.blobs): one async interface, two backends. The
// folder (the default, blob-store.ts, wrapped here) and PostgreSQL (postgres-blob-store.ts, for replicas
// that share nothing but the database). hub-blobs.spec.ts runs the same checks on both.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { missingBlobError, type BlobStore } from './blob-store.ts';

export interface HubBlobs {
  has(sha256: string): Promise<boolean>;
  /** Throws HubError 'missing-blob' for a blob the store does not hold. */
  sizeOf(sha256: string): Promise<number>;
  /** The whole blob: for the small ones callers hold anyway (a model, a server state). */
  read(sha256: string): Promise<Buffer>;
  /** The blob as a stream, for the large ones (a model download); range: bytes start to end, inclusive. */
  openReadStream(sha256: string, range?: ByteRange): Promise<Readable>;
  put(bytes: Uint8Array): Promise<string>;
  /** Stores what source yields without holding it all; returns its SHA-256. */
  putStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<string>;
  /** Stores a finished file under its hash, and the file is gone afterwards. */
  adopt(file: string, sha256: string): Promise<void>;
  /**
   * Removes what writes that never finished left behind (a process killed mid-write) and that began
   * more than olderThanMs ago; returns how many. Writes younger than that may still be running on
   * another replica.
   */
  sweepAbandonedWrites(olderThanMs: number): Promise<number>;
}

/** Bytes start to end of a blob, both included (as in an HTTP Range header). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

const missing = missingBlobError;

/** The folder store behind the async interface: the same files, the same flush-then-rename. */
export class FolderBlobs implements HubBlobs {
  constructor(readonly folder: BlobStore) {}

  // Each call goes through then(), so a refusal (a bad name) is a rejected promise, as on PostgreSQL.
  has(sha256: string): Promise<boolean> {
    return Promise.resolve().then(() => this.folder.has(sha256));
  }

  async sizeOf(sha256: string): Promise<number> {
    const path = this.folder.pathOf(sha256);
    try {
      return (await stat(path)).size;
    } catch (error) {
      throw missing(sha256, error);
    }
  }

  read(sha256: string): Promise<Buffer> {
    return Promise.resolve().then(() => this.folder.read(sha256));
  }

  async openReadStream(sha256: string, range?: ByteRange): Promise<Readable> {
    if (!this.folder.has(sha256)) throw missing(sha256);
    return createReadStream(this.folder.pathOf(sha256), range ? { start: range.start, end: range.end } : {});
  }

  put(bytes: Uint8Array): Promise<string> {
    return Promise.resolve().then(() => this.folder.put(bytes));
  }

  async putStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<string> {
    const temporary = join(this.folder.root, 'tmp', `${randomBytes(8).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    const file = await open(temporary, 'w', 0o600);
    try {
      for await (const part of source) {
        hash.update(part);
        await file.write(part);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    const sha256 = hash.digest('hex');
    await this.adopt(temporary, sha256);
    return sha256;
  }

  async adopt(file: string, sha256: string): Promise<void> {
    this.folder.adopt(file, sha256);
    // The folder store leaves the file where it was when it already held those bytes.
    await rm(file, { force: true });
  }

  async sweepAbandonedWrites(olderThanMs: number): Promise<number> {
    const tmp = join(this.folder.root, 'tmp');
    const cutoff = Date.now() - olderThanMs;
    let swept = 0;
    for (const name of await readdir(tmp).catch(() => [])) {
      const file = join(tmp, name);
      const stats = await stat(file).catch(() => null);
      if (!stats || stats.mtimeMs >= cutoff) continue;
      await rm(file, { force: true });
      swept += 1;
    }
    return swept;
  }
}
