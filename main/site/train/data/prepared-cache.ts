// Prepared images on disk, so that the second epoch (and the next federated round) reads a few
// hundred kilobytes instead of decoding a DICOM file again. The key hashes the file's path, size and
// modification time with the recipe, so a changed file or recipe is prepared afresh; the cache file
// names carry only that hash, never anything from the file.
//
// An entry is derived data: it must be detected when damaged, not made durable. Its header carries a
// CRC-32 of the whole entry, checked on every read. An entry that fails a check (a power cut that left
// a tail of zeros or a short file, a flipped bit) is a miss: counted, logged without a path or key, and
// prepared again from its DICOM file, which is written over it. It is never handed to training.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
// CRC-32 rather than a hash from node:crypto: it is there to catch torn writes and flipped bits, not a
// forger (whoever can write the cache can write the DICOM files too), it detects every error burst up
// to 32 bits and misses other damage with odds of 2^-32, and zlib's is 3-6 times faster than SHA-256 on
// a 256 KiB entry (about 0.15 ms against 0.5-0.8 ms on the dev VM). zlib.crc32 is in every Node the
// project supports (added in 20.15 and 22.2; package.json asks for >= 20.19, Electron 39 has 22).
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { createLogger, roomLogger } from '../../../../shared/node/index.ts';
import type { PrepareRecipe } from './prepare-image.ts';

/** Bump when preparation changes, so old cache entries are not reused (it is part of the key). */
export const PREPARATION_VERSION = 1;
/**
 * The entry's layout. 1: 16-byte header, no checksum (read as outdated, so rebuilt in place once).
 * 2: 20-byte header whose last word is the CRC-32 of the rest of the entry.
 */
export const CACHE_FORMAT_VERSION = 2;
const MAGIC = 0x58504652; // "RFPX" little-endian
// magic, format version, image size, value count, CRC-32: five little-endian 32-bit words.
const HEADER_BYTES = 20;
const CHECKSUM_AT = 16;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** What was wrong with a damaged entry: its length, a header field, or its checksum. */
export type CacheEntryFault = 'length' | 'header' | 'checksum';

const discarded: Record<CacheEntryFault, number> = { length: 0, header: 0, checksum: 0 };
let log: Logger | undefined;

/** Damaged entries this process found and rebuilt, by fault (a process-wide tally, for logs and tests). */
export function discardedCacheEntries(): Readonly<Record<CacheEntryFault, number>> {
  return { ...discarded };
}

/**
 * Where a damaged entry is reported. Until a host sets it, a logger of the site's own making writes
 * warnings to stderr, as the agent's default does: the loaders that read the cache are given none.
 */
export function usePreparedCacheLogger(logger: Logger): void {
  log = roomLogger(logger, 'prepared-cache');
}

function reportDamaged(fault: CacheEntryFault): void {
  discarded[fault]++;
  log ??= roomLogger(
    createLogger({ room: 'site', defaultLevel: 'warn', destination: 'stderr' }),
    'prepared-cache',
  );
  // No path, key or patient folder: the tally and the fault are what an operator can act on.
  log.warn(
    { event: 'prepared-cache-entry-damaged', fault, damagedSoFar: discarded[fault] },
    'A prepared-image cache entry was damaged (torn by a power cut, or corrupted on disk); the image is prepared again from its DICOM file.',
  );
}

export async function cacheKey(path: string, recipe: PrepareRecipe): Promise<string> {
  const info = await stat(path);
  return createHash('sha256')
    .update(
      JSON.stringify({
        v: PREPARATION_VERSION,
        path: resolve(path),
        size: info.size,
        mtime: info.mtimeMs,
        recipe,
      }),
    )
    .digest('hex');
}

const entryPath = (dir: string, key: string) => join(dir, key.slice(0, 2), `${key}.f32`);

/** CRC-32 of the entry with its checksum word left out (header fields and values alike). */
const checksumOf = (bytes: Buffer): number =>
  crc32(bytes.subarray(HEADER_BYTES), crc32(bytes.subarray(0, CHECKSUM_AT)));

/** The prepared image, or undefined for a miss: absent, outdated, or damaged (reported, then rebuilt by the caller). */
export async function readCached(dir: string, key: string, size: number): Promise<Float32Array | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(entryPath(dir, key));
  } catch {
    return undefined;
  }
  const count = size * size;
  // An entry of the first format is no fault: it predates the checksum, and is rebuilt once.
  if (bytes.length >= 8 && bytes.readUInt32LE(0) === MAGIC && bytes.readUInt32LE(4) === 1) return undefined;
  if (bytes.length !== HEADER_BYTES + count * 4) return damaged('length');
  if (
    bytes.readUInt32LE(0) !== MAGIC ||
    bytes.readUInt32LE(4) !== CACHE_FORMAT_VERSION ||
    bytes.readUInt32LE(8) !== size ||
    bytes.readUInt32LE(12) !== count
  )
    return damaged('header');
  if (bytes.readUInt32LE(CHECKSUM_AT) !== checksumOf(bytes)) return damaged('checksum');
  if (LITTLE_ENDIAN_HOST) {
    // The file is little-endian, like this machine: copy the bytes straight in.
    const copy = new Uint8Array(count * 4);
    copy.set(bytes.subarray(HEADER_BYTES));
    return new Float32Array(copy.buffer);
  }
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(HEADER_BYTES + i * 4);
  return values;
}

function damaged(fault: CacheEntryFault): undefined {
  reportDamaged(fault);
  return undefined;
}

export async function writeCached(
  dir: string,
  key: string,
  size: number,
  values: Float32Array,
): Promise<void> {
  const bytes = Buffer.alloc(HEADER_BYTES + values.length * 4);
  bytes.writeUInt32LE(MAGIC, 0);
  bytes.writeUInt32LE(CACHE_FORMAT_VERSION, 4);
  bytes.writeUInt32LE(size, 8);
  bytes.writeUInt32LE(values.length, 12);
  if (LITTLE_ENDIAN_HOST)
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(bytes, HEADER_BYTES);
  else for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i]!, HEADER_BYTES + i * 4);
  bytes.writeUInt32LE(checksumOf(bytes), CHECKSUM_AT);
  await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
  await replaceEntry(entryPath(dir, key), bytes);
}

/**
 * A temporary file beside the entry, renamed over it: a crash of the process leaves the old entry or
 * the new one whole, never half of one (rename(2) is atomic), plus at most a temporary file that the
 * patient's purge removes with the folder. No fsync, unlike the writer of state files and weights
 * (shared/node/atomic-file.ts): after a power cut the rename may outlive the data, and the checksum
 * turns that entry into a miss, which costs one decode. Flushing cost 3-10 ms on every entry of a first
 * pass (docs/benchmarks.md, "Prepared-image cache writes").
 */
async function replaceEntry(path: string, bytes: Buffer): Promise<void> {
  // The atomic writer's naming (.<name>.<pid>-<thread>-<random>.tmp), so isAtomicTemporaryOf knows it.
  const unique = `${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`;
  const temporary = join(dirname(path), `.${basename(path)}.${unique}.tmp`);
  try {
    await writeFile(temporary, bytes, { flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
