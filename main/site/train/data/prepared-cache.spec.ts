// The prepared-image cache detects a torn or corrupt entry instead of training on it: a power cut can
// leave an entry of the right length whose tail never reached the disk (its writes are not flushed),
// and a disk can flip a bit. Either is a miss: the image is prepared again from its DICOM file.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../shared/node/index.ts';
import { synthesizeStudies } from '../../synth/index.ts';
import { createImageSource, type LabelledImage } from './index.ts';
import {
  CACHE_FORMAT_VERSION,
  discardedCacheEntries,
  readCached,
  usePreparedCacheLogger,
  writeCached,
  type CacheEntryFault,
} from './prepared-cache.ts';

let dir: string;
let item: LabelledImage;
const recipe = { size: 32, window: 'auto' as const };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radfed-prepared-cache-'));
  const corpus = await synthesizeStudies({
    outDir: join(dir, 'corpus'),
    sites: 1,
    patients: 1,
    seed: 11,
    ctSlices: 1,
    ctMatrix: 48,
    radiographSize: 48,
  });
  const file = corpus.files.find((f) => f.path.includes(`${sep}series-01${sep}`))!;
  item = { path: file.path, label: 0, patient: 'patient-1' };
}, 60_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

/** The lines the cache logs, kept to check what they say and what they leave out. */
let lines: string[] = [];
beforeEach(() => {
  lines = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  usePreparedCacheLogger(createLogger({ room: 'site', defaultLevel: 'debug', destination: sink }));
});

/** Asserts one damaged entry with `fault` was counted and logged, with no path, key or patient folder. */
function expectReported(
  before: Readonly<Record<CacheEntryFault, number>>,
  fault: CacheEntryFault,
  entry: string,
) {
  const after = discardedCacheEntries();
  expect(after[fault]).toBe(before[fault] + 1);
  const reported = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(reported).toHaveLength(1);
  expect(reported[0]).toMatchObject({ event: 'prepared-cache-entry-damaged', fault, level: 40 });
  const key = entry.slice(entry.lastIndexOf(sep) + 1, -'.f32'.length);
  for (const leak of [dir, item.patient, key, key.slice(0, 12)]) expect(lines[0]).not.toContain(leak);
}

/** The one .f32 entry under `cacheDir`. */
async function entryOf(cacheDir: string): Promise<string> {
  const names = (await readdir(cacheDir, { recursive: true })).map(String).filter((n) => n.endsWith('.f32'));
  expect(names).toHaveLength(1);
  return join(cacheDir, names[0]!);
}

/** Prepares the item into a fresh cache, damages its entry with `damage`, and loads it twice more. */
async function loadAfter(name: string, damage: (bytes: Buffer) => void) {
  const cacheDir = join(dir, name);
  const source = createImageSource(recipe, cacheDir);
  const before = discardedCacheEntries();
  const fresh = await source.load(item.path, item.patient);
  expect(fresh.cached).toBe(false);
  const entry = await entryOf(cacheDir);
  const bytes = await readFile(entry);
  const original = Buffer.from(bytes);
  damage(bytes);
  expect(bytes.equals(original), 'the damage changed no byte of the entry').toBe(false);
  await writeFile(entry, bytes);
  const afterDamage = await source.load(item.path, item.patient);
  const afterRebuild = await source.load(item.path, item.patient);
  return { fresh, afterDamage, afterRebuild, entry, length: bytes.length, before };
}

describe('prepared-image cache: torn and corrupt entries', () => {
  it('an entry of the right length whose tail is zeros (a power cut before its data reached the disk) is rebuilt, not trained on', async () => {
    const run = await loadAfter('torn-tail', (bytes) => bytes.fill(0, bytes.length - bytes.length / 4));
    expect(run.afterDamage.cached).toBe(false);
    expect(Array.from(run.afterDamage.image)).toEqual(Array.from(run.fresh.image));
    // Rebuilt in place: the next load is a hit again, with the prepared values.
    expect(run.afterRebuild.cached).toBe(true);
    expect(Array.from(run.afterRebuild.image)).toEqual(Array.from(run.fresh.image));
    expect((await readFile(run.entry)).length).toBe(run.length);
    expectReported(run.before, 'checksum', run.entry);
  });

  it('an entry with one flipped bit in its values is rebuilt, not trained on', async () => {
    const run = await loadAfter('flipped-bit', (bytes) => {
      const at = bytes.length - 1000;
      bytes[at] = bytes[at]! ^ 0x10;
    });
    expect(run.afterDamage.cached).toBe(false);
    expect(Array.from(run.afterDamage.image)).toEqual(Array.from(run.fresh.image));
    expect(run.afterRebuild.cached).toBe(true);
    expect(Array.from(run.afterRebuild.image)).toEqual(Array.from(run.fresh.image));
    expectReported(run.before, 'checksum', run.entry);
  });

  it('a short entry (cut off mid-write) is a counted miss, and rebuilt', async () => {
    const cacheDir = join(dir, 'short');
    const source = createImageSource(recipe, cacheDir);
    const before = discardedCacheEntries();
    const fresh = await source.load(item.path, item.patient);
    const entry = await entryOf(cacheDir);
    await writeFile(entry, (await readFile(entry)).subarray(0, 1024));
    expect((await source.load(item.path, item.patient)).cached).toBe(false);
    const again = await source.load(item.path, item.patient);
    expect(again.cached).toBe(true);
    expect(Array.from(again.image)).toEqual(Array.from(fresh.image));
    expectReported(before, 'length', entry);
  });

  it('an entry of the first format (no checksum) is rebuilt in place once, without being reported as damaged', async () => {
    const cacheDir = join(dir, 'first-format');
    const source = createImageSource(recipe, cacheDir);
    const fresh = await source.load(item.path, item.patient);
    const entry = await entryOf(cacheDir);
    // Format 1: magic, version 1, size, count, then the values; the same bytes as before the checksum.
    const current = await readFile(entry);
    const old = Buffer.concat([current.subarray(0, 16), current.subarray(20)]);
    old.writeUInt32LE(1, 4);
    await writeFile(entry, old);
    const before = discardedCacheEntries();
    expect((await source.load(item.path, item.patient)).cached).toBe(false);
    expect(discardedCacheEntries()).toEqual(before);
    expect(lines).toEqual([]);
    const rebuilt = await readFile(entry);
    expect(rebuilt.readUInt32LE(4)).toBe(CACHE_FORMAT_VERSION);
    expect(Array.from((await source.load(item.path, item.patient)).image)).toEqual(Array.from(fresh.image));
  });

  it('writeCached then readCached gives the values back exactly, and leaves no temporary file', async () => {
    const cacheDir = join(dir, 'round-trip');
    const key = 'cd'.padEnd(64, '1');
    const values = Float32Array.from({ length: 16 }, (_, i) => i / 7 - 1);
    await writeCached(cacheDir, key, 4, values);
    await writeCached(cacheDir, key, 4, values); // over an existing entry
    expect(Array.from((await readCached(cacheDir, key, 4))!)).toEqual(Array.from(values));
    expect(await readdir(join(cacheDir, 'cd'))).toEqual([`${key}.f32`]);
    // Read with another size, the entry is a length fault, not a silent reshaping.
    expect(await readCached(cacheDir, key, 2)).toBeUndefined();
  });
});
