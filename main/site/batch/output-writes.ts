// Writing a de-identified file into the output folder. Each file is made under a temporary name
// beside its final one (NAME.PID-THREAD.partial: watch folders ignore .partial) and renamed into place,
// so a crash or a full disk never leaves half a file under a real name. The temporary file stays in
// the file's own folder because both threads then create and rename in different folders, where a
// shared staging folder would make them queue on its lock (and a rename between folders on the
// file system's).
//
// Three ways to write, one per shape of outcome:
// - the whole file from memory (writev of the chunks; the pixel data chunk points into the read buffer);
// - the new header over a copy of the source the kernel made (fs.copyFileSync, which uses
//   copy_file_range on Linux): when the header is exactly as long as the source's, the pixel data
//   never passes through the process, which is what a plain `cp` costs. For the few microseconds
//   between the copy and the header's write, the temporary file holds the source's header; a run
//   killed in that moment leaves it behind, and run-marker.ts has the next run remove it.
// - the new header, then the source's pixel data read and written in pieces (a longer header).
import {
  chmodSync,
  constants,
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { RadfedError } from '../../../shared/errors.ts';

/** The suffix of a file being written; a finished file is renamed without it. */
export const PARTIAL_SUFFIX = '.partial';

/** Errors that stop a whole run: the output cannot be written, so going on would lose work. */
export class OutputWriteError extends RadfedError<string> {
  override readonly name = 'OutputWriteError';
}

/** The source changed or vanished between reading its header and copying it: that file is not released. */
export class SourceChangedError extends RadfedError {
  override readonly name = 'SourceChangedError';
  constructor(code: string) {
    super(code, `the file changed or disappeared while it was read (${code}); run again once it is complete`);
  }
}

/** Where the rest of the output comes from, when the pixel data was left in the source. */
export interface SourceTail {
  source: string;
  /** Offset of the pixel data value in the source; the output's chunks stand for what precedes it. */
  from: number;
  /** The source's size and mode when its header was read. */
  size: number;
  mode: number;
}

const OUTPUT_MODE = 0o644;
/** Pieces in which a tail is copied when it cannot be copied by the kernel. */
const TAIL_PIECE = 1024 * 1024;
let tailBuffer: Buffer | undefined;

/** Writes `chunks` (and the source's tail, if any) to `outDir/relative`, whole or not at all. */
export function writeOutput(
  outDir: string,
  relative: string,
  chunks: readonly Uint8Array[],
  tail?: SourceTail,
): void {
  const path = join(outDir, relative);
  // Each thread of each run has its own temporary name: two copies of one instance go to one output,
  // and if two threads shared the name, one could rename the other's copy before its header is
  // replaced, releasing the source's header.
  const temporary = `${path}.${process.pid}-${threadId}${PARTIAL_SUFFIX}`;
  try {
    if (!tail) writeChunks(temporary, chunks);
    else if (lengthOf(chunks) === tail.from) writeOverCopy(temporary, chunks, tail);
    else writeWithTail(temporary, chunks, tail);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    if (error instanceof SourceChangedError) throw error;
    throw outputWriteError(error);
  }
}

const lengthOf = (chunks: readonly Uint8Array[]): number =>
  chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);

/** A failure to write into the output folder, with what to do about it. */
export function outputWriteError(error: unknown): OutputWriteError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const advice =
    code === 'ENOSPC'
      ? 'the disk is full; free some space and run the same command again (finished files are kept)'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied; choose an output folder you may write to'
        : 'check the output folder and run again';
  return new OutputWriteError(code, `Cannot write to the output folder (${code}): ${advice}.`);
}

/**
 * Runs `make`, creating the file's folder first if it says the folder is missing: most files go into
 * a folder an earlier file created, and a mkdir per file costs about as much as an open.
 */
function inFolder<T>(temporary: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(temporary), { recursive: true });
    return make();
  }
}

function writeAll(fd: number, chunks: readonly Uint8Array[], position: number | null): void {
  const total = lengthOf(chunks);
  const written = writevSync(fd, chunks as Uint8Array[], position ?? undefined);
  // A regular file takes a whole writev; should it not, finish with what is left.
  if (written < total) {
    const rest = Buffer.concat(chunks as Uint8Array[]).subarray(written);
    writeSync(fd, rest, 0, rest.length, position === null ? null : position + written);
  }
}

function writeChunks(temporary: string, chunks: readonly Uint8Array[]): void {
  const fd = inFolder(temporary, () => openSync(temporary, 'w', OUTPUT_MODE));
  try {
    writeAll(fd, chunks, null);
  } finally {
    closeSync(fd);
  }
}

/**
 * The kernel copies the source; the new header, exactly as long as the old one, is written over its
 * start. Until then the copy holds the source's header, under its temporary name only.
 */
function writeOverCopy(temporary: string, chunks: readonly Uint8Array[], tail: SourceTail): void {
  try {
    inFolder(temporary, () => copyAsNew(tail.source, temporary));
  } catch (error) {
    if (!existsSync(tail.source)) throw new SourceChangedError('ENOENT');
    throw error;
  }
  // copyFileSync gives the copy the source's mode; outputs are always rw-r--r--.
  if ((tail.mode & 0o777) !== OUTPUT_MODE) chmodSync(temporary, OUTPUT_MODE);
  const fd = openSync(temporary, 'r+');
  try {
    if (fstatSync(fd).size !== tail.size) throw new SourceChangedError('size');
    writeAll(fd, chunks, 0);
  } finally {
    closeSync(fd);
  }
}

/** Copies to a name that must be new (libuv then skips a truncate), removing a crashed run's leftover first. */
function copyAsNew(source: string, temporary: string): void {
  try {
    copyFileSync(source, temporary, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    rmSync(temporary, { force: true });
    copyFileSync(source, temporary, constants.COPYFILE_EXCL);
  }
}

/** The new header, then the source's bytes from `tail.from`, through a buffer of this thread's. */
function writeWithTail(temporary: string, chunks: readonly Uint8Array[], tail: SourceTail): void {
  let source: number;
  try {
    source = openSync(tail.source, 'r');
  } catch (error) {
    throw new SourceChangedError((error as NodeJS.ErrnoException).code ?? 'error');
  }
  try {
    if (fstatSync(source).size !== tail.size) throw new SourceChangedError('size');
    const fd = inFolder(temporary, () => openSync(temporary, 'w', OUTPUT_MODE));
    try {
      writeAll(fd, chunks, null);
      tailBuffer ??= Buffer.allocUnsafeSlow(TAIL_PIECE);
      for (let at = tail.from; at < tail.size;) {
        const read = readSync(source, tailBuffer, 0, Math.min(TAIL_PIECE, tail.size - at), at);
        if (read === 0) throw new SourceChangedError('size');
        writeAll(fd, [tailBuffer.subarray(0, read)], null);
        at += read;
      }
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(source);
  }
}
