// The one way to write a small state file (settings, site.json, keys, enrollment, task state, reports):
// a temporary file beside the target, written and flushed (fsync), renamed over the target, then the
// folder flushed, so that after a crash the target holds either the old bytes or the new ones, whole,
// and a rename that was reported done survives a power loss (POSIX rename(2) is atomic, but the new
// directory entry is durable only once the folder is synced).
// writeFileAtomicallyAsync does the same without blocking the event loop, for larger files written while
// other work goes on (model weights). The prepared-image cache is derived data and has its own unflushed
// write with a checksum (main/site/train/data/prepared-cache.ts).
// Node-only: shared/ is also imported by the renderer, which has no node:fs; the renderer's lint rule
// keeps it out of shared/node/. Streamed bulk data (DICOM files, uploads) have their own writers; see
// atomic-file-rule.spec.ts for the lists of who else may write or rename.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { RadfedError } from '../errors.ts';

export interface AtomicWriteOptions {
  /** Permission bits set when the file is created (before any byte is written), less the umask: 0o600 for keys and secrets. Default 0o666, as writeFileSync. */
  mode?: number;
  /**
   * Create only: fail with reason EEXIST when `path` already exists (two processes creating one key must
   * agree on one). Done with link(2), atomic like rename; on a file system without hard links the
   * file is created in place with O_EXCL instead, still flushed.
   */
  exclusive?: boolean;
}

export class AtomicWriteError extends RadfedError<'atomic-write-failed'> {
  override readonly name = 'AtomicWriteError';
  /** What the system said (EACCES, ENOSPC, EISDIR…), for callers that word their own message. */
  readonly reason: string;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const reason = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'write failed';
    super(
      'atomic-write-failed',
      `Could not save ${path} (${reason}). Check that its folder exists, that you may write to it, and that the disk is not full.`,
      { cause },
    );
    this.reason = reason;
  }
}

/** The temporary name: same folder (rename stays on one file system), unique per process, thread and call. */
function temporaryPath(path: string): string {
  const unique = `${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`;
  return join(dirname(path), `.${basename(path)}.${unique}.tmp`);
}

/** Replaces `path` with `data`, atomically and durably; throws AtomicWriteError, leaving no temporary file. */
export function writeFileAtomically(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const temporary = temporaryPath(path);
  let created = false;
  try {
    // 'wx': the temporary name is new, so the mode applies at creation and nothing else is overwritten.
    writeAndFlush(temporary, data, options.mode);
    created = true;
    if (options.exclusive) {
      const linked = linkUnlessPresent(temporary, path);
      removeQuietly(temporary); // linked: the target is now a second name of the same file
      created = false;
      if (!linked) writeAndFlush(path, data, options.mode);
    } else {
      renameSync(temporary, path);
      created = false;
    }
    syncFolder(dirname(path));
  } catch (error) {
    if (created) removeQuietly(temporary);
    throw new AtomicWriteError(path, error);
  }
}

/** As writeFileAtomically, without blocking the event loop; the same steps, names and errors. */
export async function writeFileAtomicallyAsync(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = temporaryPath(path);
  let created = false;
  try {
    await writeAndFlushAsync(temporary, data, options.mode);
    created = true;
    if (options.exclusive) {
      const linked = await link(temporary, path).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (NO_HARD_LINKS.has(error.code ?? '')) return false;
          throw error;
        },
      );
      await unlink(temporary).catch(() => undefined);
      created = false;
      if (!linked) await writeAndFlushAsync(path, data, options.mode);
    } else {
      await rename(temporary, path);
      created = false;
    }
    await syncFolderAsync(dirname(path));
  } catch (error) {
    if (created) await unlink(temporary).catch(() => undefined);
    throw new AtomicWriteError(path, error);
  }
}

async function writeAndFlushAsync(path: string, data: string | Uint8Array, mode = 0o666): Promise<void> {
  const file = await open(path, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(path).catch(() => undefined);
    throw error;
  }
  await file.close();
}

/** Creates `path` with `data` ('wx': never over an existing file), flushed to disk. */
function writeAndFlush(path: string, data: string | Uint8Array, mode = 0o666): void {
  const fd = openSync(path, 'wx', mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let at = 0;
    while (at < bytes.byteLength) at += writeSync(fd, bytes, at, bytes.byteLength - at);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
}

/** What link(2) answers on a file system without hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP']);

/** Gives `temporary` the name `path` unless that exists (EEXIST); false where hard links are unsupported. */
function linkUnlessPresent(temporary: string, path: string): boolean {
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if (NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the folder became unwritable: the error the caller sees is the one that matters.
  }
}

/** What fsync of a folder answers where the system cannot flush one (the rename stands). */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EINVAL', 'EPERM', 'EISDIR']);

/** Flushes a folder's entries. Some systems (Windows) cannot open a folder for this: the rename stands. */
function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = openSync(folder, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    closeSync(fd);
  }
}

async function syncFolderAsync(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => null);
  if (handle === null) return;
  try {
    await handle.sync();
  } catch (error) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** Whether a folder entry is a temporary file that writeFileAtomically left for `targetName` (a crash mid-write). */
export function isAtomicTemporaryOf(entry: string, targetName: string): boolean {
  return entry.startsWith(`.${targetName}.`) && entry.endsWith('.tmp');
}
