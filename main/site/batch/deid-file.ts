// De-identifies one file from disk to an output folder. Used by the worker pool and, with one job,
// directly on the calling thread.
//
// A file bigger than HEAD_BYTES is first read from its start only: when its pixel data is its last
// element and begins within those bytes (a CT or MR slice, a radiograph), the header is de-identified
// alone and the pixel data goes from the source to the output without being read here (see
// output-writes.ts). Anything else (a deflated file, a header longer than that, a malformed file) is
// read whole, and its outcome is exactly what the whole file gives.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import {
  deidentifyHeader,
  deidentifyInstance,
  type DeidSettings,
  type DeidentifiedInstance,
  type InstanceOutcome,
} from '../deid/index.ts';
import { SourceChangedError, writeOutput, type SourceTail } from './output-writes.ts';

export { OutputWriteError } from './output-writes.ts';

export type FileStatus = 'deidentified' | 'held' | 'rejected';

export interface FileOutcome {
  input: string;
  status: FileStatus;
  /** Path of the de-identified file relative to the output folder, or null. */
  output: string | null;
  reason: string | null;
  bytesIn: number;
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
    return readInto(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/** Reads the first `size` bytes of a file (fewer if it is shorter), into `scratch` when they fit. */
function readInto(fd: number, size: number): Buffer {
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
}

/**
 * How much of a file is read first. A CT header is a few kilobytes; one with large private data (an
 * MR's vendor headers) may not fit, and is read whole. Every byte read here is copied once more.
 */
export const HEAD_BYTES = 32 * 1024;

interface InputRead {
  bytes: Buffer;
  /** The file's size and mode: `bytes` is only its start when shorter. */
  size: number;
  mode: number;
}

/** Reads a file whole, or only its first HEAD_BYTES when it is bigger; the bytes are valid until the next read. */
function readInput(path: string): InputRead {
  const fd = openSync(path, 'r');
  try {
    const { size, mode } = fstatSync(fd);
    return { bytes: readInto(fd, Math.min(size, HEAD_BYTES)), size, mode };
  } finally {
    closeSync(fd);
  }
}

const cannotRead = (input: string, error: unknown): FileOutcome => {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return { input, status: 'rejected', output: null, reason: `cannot read the file (${code})`, bytesIn: 0 };
};

/** The engine promises not to throw on bad input; if it does anyway, the file is not released. */
function safely<T extends InstanceOutcome | null>(run: () => T): T | InstanceOutcome {
  try {
    return run();
  } catch {
    const reason =
      'RadFed could not process this file (internal error); nothing was written. Please report it.';
    return { status: 'rejected', reason, output: null, instance: null, actions: {} };
  }
}

export function deidentifyFile(input: string, outDir: string, settings: DeidSettings): FileOutcome {
  let read: InputRead;
  try {
    read = readInput(input);
  } catch (error) {
    return cannotRead(input, error);
  }
  // From the first bytes when they do; otherwise the whole file is read and de-identified.
  const partial = read.bytes.length < read.size;
  let outcome = partial ? safely(() => deidentifyHeader(read.bytes, read.size, settings)) : null;
  if (!outcome) {
    if (partial) {
      try {
        read = { ...read, bytes: readWholeFile(input) };
      } catch (error) {
        return cannotRead(input, error);
      }
    }
    outcome = safely(() => deidentifyInstance(read.bytes, settings));
  }
  const bytesIn = read.size;
  if (outcome.status !== 'deidentified' || !outcome.output || !outcome.instance) {
    return { input, status: outcome.status, output: null, reason: outcome.reason, bytesIn };
  }
  const relative = instanceRelativePath(outcome.instance);
  const tail: SourceTail | undefined =
    outcome.sourceTailFrom === undefined
      ? undefined
      : { source: input, from: outcome.sourceTailFrom, size: read.size, mode: read.mode };
  try {
    // Synchronous: the chunks point into the read buffer the next file reuses.
    writeOutput(outDir, relative, outcome.output, tail);
  } catch (error) {
    if (!(error instanceof SourceChangedError)) throw error;
    return { input, status: 'rejected', output: null, reason: error.message, bytesIn };
  }
  return { input, status: 'deidentified', output: relative, reason: outcome.reason, bytesIn };
}
