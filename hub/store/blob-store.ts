// Content-addressed blobs: a file's name is the SHA-256 of its bytes (blobs/ab/abcd…). A blob is
// written to a temporary file, flushed to disk, then renamed into place and the folder flushed, so a
// blob either exists whole or not at all, whatever moment the process dies.
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { HubError } from '../hub-errors.ts';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * A blob a row names is not in the store: lost from the folder or the database (a restore that left
 * it out, a folder not mounted). Said the same way by every backend; the name is a hash, never data.
 */
export function missingBlobError(sha256: string, cause?: unknown): HubError {
  return new HubError(
    'missing-blob',
    500,
    `Blob ${sha256.slice(0, 12)}… is missing from the hub's store. The coordinator restores the hub's blobs from their last backup (docs/hub-operations.md, Backups).`,
    cause === undefined ? undefined : { cause },
  );
}

export class BlobStore {
  constructor(readonly root: string) {
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256))
      throw new HubError('bad-blob-name', 400, 'A blob is named by a SHA-256 in hex.');
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.pathOf(sha256));
  }

  sizeOf(sha256: string): number {
    return statSync(this.pathOf(sha256)).size;
  }

  read(sha256: string): Buffer {
    try {
      return readFileSync(this.pathOf(sha256));
    } catch (error) {
      throw missingBlobError(sha256, error);
    }
  }

  /** Stores bytes and returns their SHA-256 (a blob that already exists is left as it is). */
  put(bytes: Uint8Array): string {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (this.has(sha256)) return sha256;
    const temporary = join(this.root, 'tmp', `${randomBytes(8).toString('hex')}.tmp`);
    const fd = openSync(temporary, 'w', 0o600);
    try {
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.moveIntoPlace(temporary, sha256);
    return sha256;
  }

  /** Moves a finished file (already flushed, on the same disk) into the store under its hash. */
  adopt(file: string, sha256: string): void {
    if (this.has(sha256)) return;
    this.moveIntoPlace(file, sha256);
  }

  private moveIntoPlace(file: string, sha256: string): void {
    const folder = join(this.root, sha256.slice(0, 2));
    mkdirSync(folder, { recursive: true });
    renameSync(file, this.pathOf(sha256));
    syncFolder(folder);
  }
}

export function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of a file, read as a stream (uploads may be larger than we want in memory at once). */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (part) => hash.update(part))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
