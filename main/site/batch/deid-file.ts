// De-identifies one file from disk to an output folder. Used by the worker pool and, with one job,
// directly on the calling thread.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, readSync, writevSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deidentifyInstance, type DeidSettings, type DeidentifiedInstance } from '../deid/index.ts';

export type FileStatus = 'deidentified' | 'held' | 'rejected';

export interface FileOutcome {
  input: string;
  status: FileStatus;
  /** Path of the de-identified file relative to the output folder, or null. */
  output: string | null;
  reason: string | null;
  bytesIn: number;
}

/** Errors that stop a whole run: the output cannot be written, so going on would lose work. */
export class OutputWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'OutputWriteError';
  }
}

/** Where a de-identified instance goes: named by pseudonym and de-identified UIDs only, never by input names. */
export function instanceRelativePath(instance: DeidentifiedInstance): string {
  return join(
    instance.patientPseudonym,
    instance.studyInstanceUid,
    instance.seriesInstanceUid,
    `${instance.sopInstanceUid}.dcm`,
  );
}

/** Files up to this size are read into the thread's reused buffer; bigger ones get a buffer of their own. */
const REUSED_LIMIT = 64 * 1024 * 1024;

/**
 * One read buffer per thread, reused from file to file: a fresh half-megabyte buffer per file costs
 * more than the read itself (page faults, then the garbage collector), and with two threads the
 * mapping and unmapping of those buffers serialises them. A file's bytes (and the output chunks that
 * point into them) are only valid until the next read, so each file is written before the next is read.
 */
let scratch = Buffer.allocUnsafeSlow(1024 * 1024);

/** The largest file read, as with readFileSync: bigger ones are rejected, not loaded. */
const MAX_FILE_SIZE = 2 ** 31 - 1;

/** Reads a whole file; the result is a view into `scratch` when it fits, valid until the next call. */
export function readWholeFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_FILE_SIZE) {
      throw Object.assign(new RangeError('The file is larger than 2 GiB.'), {
        code: 'ERR_FS_FILE_TOO_LARGE',
      });
    }
    let buffer = scratch;
    if (size > REUSED_LIMIT) buffer = Buffer.allocUnsafeSlow(size);
    else if (size > scratch.length) buffer = scratch = Buffer.allocUnsafeSlow(size);
    // The size fstat gave, as readFileSync reads it (a file that grows meanwhile is read as it was).
    let length = 0;
    while (length < size) {
      const read = readSync(fd, buffer, length, size - length, length);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

export function deidentifyFile(input: string, outDir: string, settings: DeidSettings): FileOutcome {
  let bytes: Buffer;
  try {
    bytes = readWholeFile(input);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { input, status: 'rejected', output: null, reason: `cannot read the file (${code})`, bytesIn: 0 };
  }
  let outcome;
  try {
    outcome = deidentifyInstance(bytes, settings);
  } catch {
    // The engine promises not to throw on bad input; if it does anyway, the file is not released.
    const reason =
      'RadFed could not process this file (internal error); nothing was written. Please report it.';
    return { input, status: 'rejected', output: null, reason, bytesIn: bytes.length };
  }
  if (outcome.status !== 'deidentified' || !outcome.output || !outcome.instance) {
    return { input, status: outcome.status, output: null, reason: outcome.reason, bytesIn: bytes.length };
  }
  const relative = instanceRelativePath(outcome.instance);
  // Synchronous: the chunks (pixel data above all) point into the read buffer the next file reuses.
  writeAtomically(join(outDir, relative), outcome.output);
  return { input, status: 'deidentified', output: relative, reason: outcome.reason, bytesIn: bytes.length };
}

/** Writes to a temporary name and renames, so a crash or a full disk never leaves half a file under the real name. */
export function writeAtomically(path: string, chunks: readonly Uint8Array[]): void {
  const temporary = `${path}.partial`;
  try {
    writeChunks(temporary, chunks);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const advice =
      code === 'ENOSPC'
        ? 'the disk is full; free some space and run the same command again (finished files are kept)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied; choose an output folder you may write to'
          : 'check the output folder and run again';
    throw new OutputWriteError(code, `Cannot write to the output folder (${code}): ${advice}.`);
  }
}

/**
 * Opens the file for writing, creating its folder only when it is missing: most files go into a
 * folder an earlier file created, and a mkdir per file costs about as much as the write's open.
 */
function openForWriting(path: string): number {
  try {
    return openSync(path, 'w', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'w', 0o644);
  }
}

/** Writes the chunks with writev: the pixel data chunk goes from the input's buffer to the file uncopied. */
function writeChunks(path: string, chunks: readonly Uint8Array[]): void {
  const fd = openForWriting(path);
  try {
    const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const written = writevSync(fd, chunks as Uint8Array[]);
    // A regular file takes a whole writev; should it not, finish with what is left.
    if (written < total) writevSync(fd, [Buffer.concat(chunks as Uint8Array[]).subarray(written)]);
  } finally {
    closeSync(fd);
  }
}
