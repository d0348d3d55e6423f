// Files of the research store, written atomically (a temporary file, flushed, then renamed over the
// final name), so a reader never sees half a file and a crash never leaves one under a real name.
// A file de-identified from its header alone gets its pixel data from the quarantined copy, copied in
// pieces: only de-identified bytes are ever written here.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SourceTail } from './deidentify-file.ts';
import { IngestError } from './ingest-error.ts';
import { isZeros } from './quarantine.ts';

const TAIL_PIECE = 1024 * 1024;

export interface ResearchLocation {
  patientPseudonym: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;
const PSEUDONYM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `<pseudonym>/<study UID>/<series UID>/<SOP instance UID>.dcm`, relative to the research store. */
export function researchRelativePath(location: ResearchLocation): string {
  const uids = [location.studyInstanceUid, location.seriesInstanceUid, location.sopInstanceUid];
  // Defence in depth: these come from the engine, and become path components.
  if (!PSEUDONYM.test(location.patientPseudonym) || uids.some((uid) => !UID.test(uid) || uid.length > 64)) {
    throw new IngestError(
      'unusable-identifier',
      'The de-identification engine produced a pseudonym or UID that cannot be used in a file name; the file was not stored. Report this.',
    );
  }
  return `${location.patientPseudonym}/${uids[0]}/${uids[1]}/${uids[2]}.dcm`;
}

/**
 * Writes `chunks`, then the source's bytes from `tail.from` when given, to `root/relativePath`
 * atomically; returns the file's SHA-256 and size.
 */
export async function writeResearchFile(
  root: string,
  relativePath: string,
  chunks: readonly Uint8Array[],
  tail?: SourceTail,
): Promise<{ sha256: string; size: number }> {
  const target = join(root, ...relativePath.split('/'));
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const hash = createHash('sha256');
  let size = 0;
  const handle = await open(tmp, 'wx', 0o644);
  try {
    for (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.byteLength;
      await handle.write(chunk);
    }
    if (tail) size += await copyTail(tail, handle, size, hash);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, target);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Appends the source's bytes from `tail.from` to its end, in pieces; returns how many. */
async function copyTail(
  tail: SourceTail,
  target: FileHandle,
  start: number,
  hash: ReturnType<typeof createHash>,
): Promise<number> {
  const source = await open(tail.path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(TAIL_PIECE);
    let at = tail.from;
    while (at < tail.size) {
      const { bytesRead } = await source.read(buffer, 0, Math.min(TAIL_PIECE, tail.size - at), at);
      if (bytesRead === 0) throw new Error('The quarantined copy is shorter than when its header was read.');
      const piece = buffer.subarray(0, bytesRead);
      hash.update(piece);
      // Zeros are left as a hole, as in the quarantined copy: the truncate below gives them back.
      if (!isZeros(piece)) await target.write(piece, 0, bytesRead, start + (at - tail.from));
      at += bytesRead;
    }
    await target.truncate(start + (at - tail.from));
    return at - tail.from;
  } finally {
    await source.close();
  }
}
