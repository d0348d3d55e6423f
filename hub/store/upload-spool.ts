// Where an upload's bytes wait between its chunks and its completion. A site sends a sealed update in
// chunks, possibly each through another replica; once the last one is in, the bytes are hashed and
// move into the blob store. Two backends, chosen with the blobs: .part files in a folder (the hub
// folder, or the one every replica mounts) and rows in PostgreSQL (postgres-upload-spool.ts), so a
// hub with `--blobs postgres` needs no shared disk. upload-spool.spec.ts runs the same checks on both.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile } from './blob-store.ts';
import type { HubBlobs } from './hub-blobs.ts';

export interface UploadSpool {
  /**
   * Writes one chunk at offset and drops anything held past its end (bytes of a chunk a killed
   * process wrote before it could record it). Durable when the promise resolves.
   */
  writeChunk(uploadId: string, offset: number, bytes: Uint8Array): Promise<void>;
  /** The uploads whose bytes are held, by id, in no particular order. */
  held(): Promise<string[]>;
  /** Whether any bytes of this upload are held (none: never sent, or moved into the blob store). */
  holds(uploadId: string): Promise<boolean>;
  /** SHA-256 of the bytes held, read as a stream. */
  hash(uploadId: string): Promise<string>;
  /** Moves the bytes, whose SHA-256 is sha256, into the blob store; the spool holds none afterwards. */
  moveInto(blobs: HubBlobs, uploadId: string, sha256: string): Promise<void>;
  remove(uploadId: string): Promise<void>;
  /**
   * Removes the bytes of every upload that receiving() does not name (left by a crash between deleting
   * an upload's row and its bytes). What is held is listed before receiving() is asked, so an upload
   * another replica opens meanwhile is never taken for an orphan.
   */
  removeAllBut(receiving: () => Promise<ReadonlySet<string>>): Promise<number>;
}

/**
 * What `removeAllBut` does on either backend, from its `held` and `remove`: the held uploads are listed
 * first, then receiving() is asked, and each held upload it does not name is removed.
 */
export async function removeHeldUploadsBut(
  spool: Pick<UploadSpool, 'held' | 'remove'>,
  receiving: () => Promise<ReadonlySet<string>>,
): Promise<number> {
  const held = await spool.held();
  const keep = await receiving();
  let removed = 0;
  for (const uploadId of held) {
    if (keep.has(uploadId)) continue;
    await spool.remove(uploadId);
    removed += 1;
  }
  return removed;
}

const PART_SUFFIX = '.part';

/** One .part file per upload, each chunk flushed before it is acknowledged. */
export class FolderUploadSpool implements UploadSpool {
  constructor(readonly folder: string) {}

  partPath(uploadId: string): string {
    return join(this.folder, `${uploadId}${PART_SUFFIX}`);
  }

  async writeChunk(uploadId: string, offset: number, bytes: Uint8Array): Promise<void> {
    const path = this.partPath(uploadId);
    const handle = await open(path, existsSync(path) ? 'r+' : 'w+', 0o600);
    try {
      await handle.write(bytes, 0, bytes.byteLength, offset);
      await handle.truncate(offset + bytes.byteLength);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  held(): Promise<string[]> {
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch {
      names = []; // no uploads folder yet: nothing was ever uploaded
    }
    return Promise.resolve(
      names.filter((name) => name.endsWith(PART_SUFFIX)).map((name) => name.slice(0, -PART_SUFFIX.length)),
    );
  }

  holds(uploadId: string): Promise<boolean> {
    return Promise.resolve(existsSync(this.partPath(uploadId)));
  }

  hash(uploadId: string): Promise<string> {
    return hashFile(this.partPath(uploadId));
  }

  moveInto(blobs: HubBlobs, uploadId: string, sha256: string): Promise<void> {
    // The folder store renames the file into place; the PostgreSQL store streams it in and removes it.
    return blobs.adopt(this.partPath(uploadId), sha256);
  }

  remove(uploadId: string): Promise<void> {
    rmSync(this.partPath(uploadId), { force: true });
    return Promise.resolve();
  }

  removeAllBut(receiving: () => Promise<ReadonlySet<string>>): Promise<number> {
    return removeHeldUploadsBut(this, receiving);
  }
}
