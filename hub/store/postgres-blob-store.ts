// Content-addressed blobs in PostgreSQL, so a replicated hub needs no shared folder: the same API as the
// folder store (blob-store.ts) where it can be, but async, since every call is a round trip.
//
// A blob is written as rows of at most CHUNK_BYTES under a write id, each chunk its own statement,
// so neither this process nor the server ever holds the whole blob. Its SHA-256 is known only at the
// end, and only then, in one transaction, does a row in hub_blobs name it: a blob is visible whole or
// not at all. A writer killed midway leaves chunks that no blob names; sweepAbandonedWrites removes
// them. Reading streams the chunks back one at a time, in order.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { HubError } from '../hub-errors.ts';
import { missingBlobError } from './blob-store.ts';
import type { ByteRange, HubBlobs } from './hub-blobs.ts';
import type { SqlEngine } from './sql-engine.ts';

/** Rows of 1 MiB: few enough round trips for a model, small enough to hold one at a time. */
export const CHUNK_BYTES = 1024 * 1024;

const SHA256 = /^[0-9a-f]{64}$/;

const CREATE_BLOB_TABLES = `
  CREATE TABLE IF NOT EXISTS hub_blob_writes (
    writing_id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS hub_blob_chunks (
    writing_id TEXT NOT NULL REFERENCES hub_blob_writes (writing_id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (writing_id, seq)
  );
  -- A row here is the promise that every chunk of the write is stored: written last, in one transaction.
  CREATE TABLE IF NOT EXISTS hub_blobs (
    sha256 TEXT PRIMARY KEY,
    writing_id TEXT NOT NULL UNIQUE REFERENCES hub_blob_writes (writing_id),
    bytes BIGINT NOT NULL,
    chunks BIGINT NOT NULL,
    stored_at TEXT NOT NULL
  );`;

interface BlobRow {
  writing_id: string;
  bytes: number;
  chunks: number;
}

function checkName(sha256: string): void {
  if (!SHA256.test(sha256)) throw new HubError('bad-blob-name', 400, 'A blob is named by a SHA-256 in hex.');
}

const missing = missingBlobError;

export class PostgresBlobStore implements HubBlobs {
  private constructor(
    private readonly engine: SqlEngine,
    private readonly now: () => number,
  ) {}

  /** Creates the blob tables if this database has none yet (under a lock: replicas start together). */
  static async open(engine: SqlEngine, options: { now?: () => number } = {}): Promise<PostgresBlobStore> {
    await engine.transaction(async (tx) => {
      await tx.lock('radfed:hub:blob-tables');
      await tx.run(CREATE_BLOB_TABLES);
    });
    return new PostgresBlobStore(engine, options.now ?? Date.now);
  }

  private async row(sha256: string): Promise<BlobRow | undefined> {
    checkName(sha256);
    return this.engine.get<BlobRow>(
      'SELECT writing_id, bytes, chunks FROM hub_blobs WHERE sha256 = @sha256',
      {
        sha256,
      },
    );
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.row(sha256)) !== undefined;
  }

  async sizeOf(sha256: string): Promise<number> {
    const row = await this.row(sha256);
    if (row === undefined) throw missing(sha256);
    return row.bytes;
  }

  /** The blob's bytes as a stream, one chunk held at a time (every chunk but the last is CHUNK_BYTES). */
  async openReadStream(sha256: string, range?: ByteRange): Promise<Readable> {
    const row = await this.row(sha256);
    if (row === undefined) throw missing(sha256);
    const { engine } = this;
    const { writing_id, chunks: count } = row;
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? row.bytes - 1, row.bytes - 1);
    async function* chunks(): AsyncGenerator<Buffer> {
      const first = Math.floor(start / CHUNK_BYTES);
      const last = Math.min(count - 1, Math.floor(end / CHUNK_BYTES));
      for (let seq = first; seq <= last; seq += 1) {
        const chunk = await engine.get<{ data: Buffer }>(
          'SELECT data FROM hub_blob_chunks WHERE writing_id = @writing_id AND seq = @seq',
          { writing_id, seq },
        );
        if (chunk === undefined) throw missing(sha256);
        const at = seq * CHUNK_BYTES;
        yield chunk.data.subarray(Math.max(0, start - at), Math.min(chunk.data.byteLength, end - at + 1));
      }
    }
    // One chunk buffered ahead, not Readable.from's default of 16 (16 MiB).
    return Readable.from(chunks(), { objectMode: false, highWaterMark: CHUNK_BYTES });
  }

  /**
   * The whole blob in memory: for the small ones (a model, a server state) the callers hold anyway. The
   * blob's row and its first chunk come in one query: most blobs the hub reads whole (a sealed update of
   * a small model) are one chunk, and aggregation reads one per site.
   */
  async read(sha256: string): Promise<Buffer> {
    checkName(sha256);
    const head = await this.engine.get<BlobRow & { data: Buffer | null }>(
      `SELECT b.writing_id, b.bytes, b.chunks, c.data FROM hub_blobs AS b
       LEFT JOIN hub_blob_chunks AS c ON c.writing_id = b.writing_id AND c.seq = 0
       WHERE b.sha256 = @sha256`,
      { sha256 },
    );
    if (head === undefined || (head.chunks > 0 && head.data === null)) throw missing(sha256);
    const parts: Buffer[] = head.data === null ? [] : [head.data];
    for (let seq = 1; seq < head.chunks; seq += 1) {
      const chunk = await this.engine.get<{ data: Buffer }>(
        'SELECT data FROM hub_blob_chunks WHERE writing_id = @writing_id AND seq = @seq',
        { writing_id: head.writing_id, seq },
      );
      if (chunk === undefined) throw missing(sha256);
      parts.push(chunk.data);
    }
    return Buffer.concat(parts);
  }

  /** Stores bytes and returns their SHA-256 (a blob that already exists is left as it is). */
  async put(bytes: Uint8Array): Promise<string> {
    return this.putStream([bytes]);
  }

  /**
   * Stores what source yields, in chunks, and returns its SHA-256. Nothing is visible under that name
   * until the last chunk is stored; a failure or a kill before then leaves only an abandoned write.
   */
  async putStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<string> {
    const writingId = randomUUID();
    await this.engine.run('INSERT INTO hub_blob_writes (writing_id, started_at) VALUES (@writing_id, @now)', {
      writing_id: writingId,
      now: this.now(),
    });
    const hash = createHash('sha256');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let seq = 0;
    let total = 0;
    const flush = async (data: Buffer): Promise<void> => {
      await this.engine.run(
        'INSERT INTO hub_blob_chunks (writing_id, seq, data) VALUES (@writing_id, @seq, @data)',
        {
          writing_id: writingId,
          seq,
          data,
        },
      );
      seq += 1;
    };
    try {
      for await (const part of source) {
        hash.update(part);
        total += part.byteLength;
        pending.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
        pendingBytes += part.byteLength;
        while (pendingBytes >= CHUNK_BYTES) {
          const joined = Buffer.concat(pending);
          await flush(joined.subarray(0, CHUNK_BYTES));
          pending = [joined.subarray(CHUNK_BYTES)];
          pendingBytes -= CHUNK_BYTES;
        }
      }
      if (pendingBytes > 0) await flush(Buffer.concat(pending));
    } catch (error) {
      await this.abandon(writingId);
      throw error;
    }
    const sha256 = hash.digest('hex');
    await this.engine.transaction(async (tx) => {
      const named = await tx.run(
        `INSERT INTO hub_blobs (sha256, writing_id, bytes, chunks, stored_at)
         VALUES (@sha256, @writing_id, @bytes, @chunks, @stored_at) ON CONFLICT (sha256) DO NOTHING`,
        {
          sha256,
          writing_id: writingId,
          bytes: total,
          chunks: seq,
          stored_at: new Date(this.now()).toISOString(),
        },
      );
      // The same bytes were stored before: keep that copy, drop this one.
      if (named.changes === 0)
        await tx.run('DELETE FROM hub_blob_writes WHERE writing_id = @writing_id', { writing_id: writingId });
    });
    return sha256;
  }

  /**
   * Stores a finished file under its hash and removes the file, as the folder store moves it into place.
   * The hash is checked while the file streams in: a file whose bytes are not `sha256` is refused.
   */
  async adopt(file: string, sha256: string): Promise<void> {
    checkName(sha256);
    if (await this.has(sha256)) {
      rmSync(file, { force: true });
      return;
    }
    const stored = await this.putStream(createReadStream(file, { highWaterMark: CHUNK_BYTES }));
    if (stored !== sha256)
      throw new HubError(
        'blob-hash-mismatch',
        500,
        `A file given to the blob store as ${sha256.slice(0, 12)}… is not.`,
      );
    rmSync(file, { force: true });
  }

  /** Removes the chunks of writes that never completed and began before olderThanMs ago. Returns how many. */
  async sweepAbandonedWrites(olderThanMs: number): Promise<number> {
    const swept = await this.engine.run(
      `DELETE FROM hub_blob_writes AS w WHERE w.started_at < @cutoff
       AND NOT EXISTS (SELECT 1 FROM hub_blobs AS b WHERE b.writing_id = w.writing_id)`,
      { cutoff: this.now() - olderThanMs },
    );
    return swept.changes;
  }

  private async abandon(writingId: string): Promise<void> {
    try {
      await this.engine.run('DELETE FROM hub_blob_writes WHERE writing_id = @writing_id', {
        writing_id: writingId,
      });
    } catch {
      // The failure that brought us here is the one to report; the sweep removes what this leaves.
    }
  }
}
