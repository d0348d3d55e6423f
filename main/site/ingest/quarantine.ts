// The quarantine: identified copies, each under a random name (the original file name may carry a
// patient's name or ID), readable by the site's user only.
//
// A copy being ingested is named `<uuid>.<owner>.ingesting`, the owner being the process that made
// it (ingest-owner.ts). It leaves when its de-identified copy is stored, or, when held back, is renamed
// to `<uuid>.dcm` after its held entry is recorded (the entry first: a crash between the two leaves an
// entry whose file the clean-up below moves into place, never a file with no entry). So at any moment
// every file here is one of: an in-flight copy of a live process, a held copy with its entry, or the
// receiver's queue (`incoming/`, acknowledged instances waiting to be ingested). Anything else was
// left by a process that is gone, and `cleanQuarantine` removes it.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, renameSync, unlinkSync, type Dirent } from 'node:fs';
import { RadfedError } from '../../../shared/errors.ts';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { currentOwner, isOwnerAlive } from './ingest-owner.ts';

const IN_FLIGHT = /^([0-9a-f-]{36})\.(.+)\.ingesting$/;
/** Read and write in pieces this big: memory stays bounded whatever the file's size. */
const PIECE = 1024 * 1024;

/** The operator's file could not be read while copying it (as opposed to the quarantine being unwritable). */
export class SourceReadError extends RadfedError {
  override readonly name = 'SourceReadError';
  /** `code` is what the system said (ENOENT, EACCES…): the only detail, as the path may name a patient. */
  constructor(code: string) {
    super(code, `The file could not be read (${code}).`);
  }
}

const sourceError = (error: unknown) => new SourceReadError((error as NodeJS.ErrnoException).code ?? 'error');

export interface QuarantinedCopy {
  /** The in-flight name, in the quarantine folder. */
  name: string;
  /** The name it takes if held back. */
  heldName: string;
  sha256: string;
  size: number;
}

/** The SHA-256 and size of a file, read in pieces. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const piece of createReadStream(path, { highWaterMark: PIECE })) {
    hash.update(piece as Buffer);
    size += (piece as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Copies `source` into quarantine under an in-flight name of this process, in pieces, hashing what
 * it copies. On any error the partial copy is removed and the error thrown.
 */
export async function copyIntoQuarantine(quarantineDir: string, source: string): Promise<QuarantinedCopy> {
  const uuid = randomUUID();
  const name = `${uuid}.${currentOwner()}.ingesting`;
  const path = join(quarantineDir, name);
  const hash = createHash('sha256');
  let size = 0;
  const input = await open(source, 'r').catch((error: unknown) => {
    throw sourceError(error);
  });
  try {
    const output = await open(path, 'wx', 0o600);
    try {
      const buffer = Buffer.allocUnsafe(PIECE);
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, PIECE, size).catch((error: unknown) => {
          throw sourceError(error);
        });
        if (bytesRead === 0) break;
        const piece = buffer.subarray(0, bytesRead);
        hash.update(piece);
        if (!isZeros(piece)) await output.write(piece, 0, bytesRead, size);
        size += bytesRead;
      }
      // Pieces of zeros were skipped: the copy keeps the source's holes instead of filling the disk.
      await output.truncate(size);
    } finally {
      await output.close();
    }
  } catch (error) {
    await removeFromQuarantine(quarantineDir, name).catch(() => undefined);
    throw error;
  } finally {
    await input.close();
  }
  return { name, heldName: `${uuid}.dcm`, sha256: hash.digest('hex'), size };
}

const ZEROS = Buffer.alloc(PIECE);

/** Whether a piece is all zero bytes (a hole in a sparse file, or padding): then it need not be written. */
export function isZeros(piece: Buffer): boolean {
  return piece.equals(ZEROS.subarray(0, piece.length));
}

/** Renames an in-flight copy to its held name, once its held entry is recorded. */
export async function keepAsHeld(quarantineDir: string, copy: QuarantinedCopy): Promise<void> {
  await rename(join(quarantineDir, copy.name), join(quarantineDir, copy.heldName));
}

export async function removeFromQuarantine(quarantineDir: string, name: string): Promise<void> {
  try {
    await unlink(join(quarantineDir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export interface QuarantineCleanup {
  /** Identified copies deleted: left by a process that is gone, with no held entry. */
  removed: number;
  /** Held copies whose rename a crash interrupted, moved to the name their entry gives. */
  restored: number;
}

/**
 * Removes every file of the quarantine's top level that no held entry names and no live process is
 * working on (the receiver's `incoming/` folder is its own queue, and is left alone). `heldNames` is
 * read after the folder is listed: an entry is always recorded before its file takes the held name,
 * so a held file seen in the listing is already in it. Synchronous: it runs once at start, before the
 * agent serves anything, over a folder that holds only held files when all is well.
 */
export function cleanQuarantine(
  quarantineDir: string,
  heldNames: () => ReadonlySet<string>,
): QuarantineCleanup {
  const result: QuarantineCleanup = { removed: 0, restored: 0 };
  let entries: Dirent[];
  try {
    entries = readdirSync(quarantineDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw error;
  }
  const held = heldNames();
  for (const entry of entries) {
    if (!entry.isFile() || held.has(entry.name)) continue;
    const inFlight = IN_FLIGHT.exec(entry.name);
    if (inFlight !== null) {
      const [, uuid, owner] = inFlight as unknown as [string, string, string];
      if (isOwnerAlive(owner)) continue;
      const heldName = `${uuid}.dcm`;
      if (held.has(heldName) && !existsSync(join(quarantineDir, heldName))) {
        renameSync(join(quarantineDir, entry.name), join(quarantineDir, heldName));
        result.restored += 1;
        continue;
      }
    }
    try {
      unlinkSync(join(quarantineDir, entry.name));
      result.removed += 1;
    } catch (error) {
      // Another start removed it first.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return result;
}
