// Prepared images on disk, so that the second epoch (and the next federated round) reads a few
// hundred kilobytes instead of decoding a DICOM file again. The key hashes the file's path, size and
// modification time with the recipe, so a changed file or recipe is prepared afresh; the cache file
// names carry only that hash, never anything from the file.
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomicallyAsync } from '../../../../shared/node/index.ts';
import type { PrepareRecipe } from './prepare-image.ts';

/** Bump when preparation changes, so old cache entries are not reused. */
export const PREPARATION_VERSION = 1;
const MAGIC = 0x58504652; // "RFPX" little-endian
const HEADER_BYTES = 16;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

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

export async function readCached(dir: string, key: string, size: number): Promise<Float32Array | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(entryPath(dir, key));
  } catch {
    return undefined;
  }
  const count = size * size;
  if (bytes.length !== HEADER_BYTES + count * 4) return undefined;
  if (bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt32LE(4) !== PREPARATION_VERSION) return undefined;
  if (bytes.readUInt32LE(8) !== size) return undefined;
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

export async function writeCached(
  dir: string,
  key: string,
  size: number,
  values: Float32Array,
): Promise<void> {
  const bytes = Buffer.alloc(HEADER_BYTES + values.length * 4);
  bytes.writeUInt32LE(MAGIC, 0);
  bytes.writeUInt32LE(PREPARATION_VERSION, 4);
  bytes.writeUInt32LE(size, 8);
  bytes.writeUInt32LE(values.length, 12);
  if (LITTLE_ENDIAN_HOST)
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(bytes, HEADER_BYTES);
  else for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i]!, HEADER_BYTES + i * 4);
  const path = entryPath(dir, key);
  await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
  // Flushed before the rename: without it a power cut can leave an entry of the right length whose
  // tail is zeros, which the size and header checks in readCached would take as a prepared image.
  await writeFileAtomicallyAsync(path, bytes);
}
