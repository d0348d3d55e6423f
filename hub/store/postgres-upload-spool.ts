// The upload spool in PostgreSQL, for a hub whose blobs live there too (`--blobs postgres`): a site's
// chunks may reach any replica, and no replica has a disk the others see. Each chunk is stored as rows
// of at most 1 MiB keyed by their byte offset, in one transaction that also drops whatever was held past
// the chunk's start (a chunk a killed replica stored but never recorded), so the rows always form one
// run of bytes from offset 0. Reading streams them back one row at a time; moving into the blob store
// streams them through PostgresBlobStore.putStream, so no replica ever holds a whole upload.
import { createHash } from 'node:crypto';
import { HubError } from '../hub-errors.ts';
import type { HubBlobs } from './hub-blobs.ts';
import { CHUNK_BYTES } from './postgres-blob-store.ts';
import type { SqlEngine } from './sql-engine.ts';
import { removeHeldUploadsBut, type UploadSpool } from './upload-spool.ts';

const CREATE_SPOOL_TABLE = `
  CREATE TABLE IF NOT EXISTS hub_upload_spool (
    upload_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (upload_id, at)
  );`;

export class PostgresUploadSpool implements UploadSpool {
  private constructor(private readonly engine: SqlEngine) {}

  /** Creates the spool table if this database has none yet (under a lock: replicas start together). */
  static async open(engine: SqlEngine): Promise<PostgresUploadSpool> {
    await engine.transaction(async (tx) => {
      await tx.lock('radfed:hub:upload-spool-table');
      await tx.run(CREATE_SPOOL_TABLE);
    });
    return new PostgresUploadSpool(engine);
  }

  async writeChunk(uploadId: string, offset: number, bytes: Uint8Array): Promise<void> {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await this.engine.transaction(async (tx) => {
      await tx.run('DELETE FROM hub_upload_spool WHERE upload_id = @uploadId AND at >= @offset', {
        uploadId,
        offset,
      });
      for (let start = 0; start < body.byteLength; start += CHUNK_BYTES) {
        // Two replicas given the same chunk (a site's retry) write the same bytes: the later one wins.
        await tx.run(
          `INSERT INTO hub_upload_spool (upload_id, at, data) VALUES (@uploadId, @at, @data)
           ON CONFLICT (upload_id, at) DO UPDATE SET data = excluded.data`,
          {
            uploadId,
            at: offset + start,
            data: body.subarray(start, Math.min(start + CHUNK_BYTES, body.byteLength)),
          },
        );
      }
    });
  }

  async held(): Promise<string[]> {
    const rows = await this.engine.all<{ upload_id: string }>(
      'SELECT DISTINCT upload_id FROM hub_upload_spool',
    );
    return rows.map((row) => row.upload_id);
  }

  async holds(uploadId: string): Promise<boolean> {
    const row = await this.engine.get<{ at: number }>(
      'SELECT at FROM hub_upload_spool WHERE upload_id = @uploadId LIMIT 1',
      { uploadId },
    );
    return row !== undefined;
  }

  /** The bytes held, in order, one row at a time. */
  async *bytesOf(uploadId: string): AsyncGenerator<Buffer> {
    let next = 0;
    for (;;) {
      const row = await this.engine.get<{ at: number; data: Buffer }>(
        'SELECT at, data FROM hub_upload_spool WHERE upload_id = @uploadId AND at >= @next ORDER BY at LIMIT 1',
        { uploadId, next },
      );
      if (row === undefined) return;
      // Each chunk replaces everything from its start, so a gap means rows changed under this read.
      if (row.at !== next)
        throw new HubError(
          'spool-gap',
          500,
          'The bytes of this upload changed while the hub read them; complete the upload again.',
        );
      yield row.data;
      next += row.data.byteLength;
    }
  }

  async hash(uploadId: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const part of this.bytesOf(uploadId)) hash.update(part);
    return hash.digest('hex');
  }

  async moveInto(blobs: HubBlobs, uploadId: string, sha256: string): Promise<void> {
    const stored = await blobs.putStream(this.bytesOf(uploadId));
    if (stored !== sha256)
      throw new HubError(
        'blob-hash-mismatch',
        500,
        `The bytes of upload ${uploadId} are not ${sha256.slice(0, 12)}… any more; complete the upload again.`,
      );
    // The blob is named before the rows go: a kill in between leaves rows a retry moves again (the
    // blob store keeps one copy) or the start-up sweep removes.
    await this.remove(uploadId);
  }

  async remove(uploadId: string): Promise<void> {
    await this.engine.run('DELETE FROM hub_upload_spool WHERE upload_id = @uploadId', { uploadId });
  }

  removeAllBut(receiving: () => Promise<ReadonlySet<string>>): Promise<number> {
    return removeHeldUploadsBut(this, receiving);
  }
}
