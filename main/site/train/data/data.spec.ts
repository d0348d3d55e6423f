// Preparation (rescale, window, MONOCHROME1, resize), the prepared-image cache, augmentation and the
// streaming batch loader, on real files from the synthetic generator.
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeStudies } from '../../synth/index.ts';
import {
  augmentImage,
  BatchLoader,
  createImageSource,
  prepareImage,
  resize,
  SeededRandom,
  type DecodedFrame,
  type LabelledImage,
} from './index.ts';

let dir: string;
let items: LabelledImage[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radfed-data-'));
  const corpus = await synthesizeStudies({
    outDir: join(dir, 'corpus'),
    sites: 2,
    patients: 6,
    seed: 4,
    ctSlices: 2,
    ctMatrix: 48,
    radiographSize: 48,
  });
  items = corpus.files
    .filter((f) => f.path.includes(`${sep}series-01${sep}`))
    .map((f, i) => ({ path: f.path, label: i % 2, patient: `${f.site}-${f.patientIndex}` }));
}, 60_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

function frame(
  values: Int16Array,
  rows: number,
  columns: number,
  extra: Partial<DecodedFrame['module']> = {},
): DecodedFrame {
  const module = {
    rows,
    columns,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1 as const,
    photometric: 'MONOCHROME2',
    planarConfiguration: 0 as const,
    frames: 1,
    rescaleSlope: 1,
    rescaleIntercept: 0,
    ...extra,
  };
  return { module, rows, columns, samples: 1, values, photometric: module.photometric };
}

describe('prepareImage', () => {
  it('applies rescale slope and intercept, then the window, clamping to [0, 1]', () => {
    // Stored 0..3 with slope 100, intercept −1000: −1000, −900, −800, −700 HU; window −850 ± 100.
    const out = prepareImage(
      frame(Int16Array.of(0, 1, 2, 3), 2, 2, { rescaleSlope: 100, rescaleIntercept: -1000 }),
      {
        size: 2,
        window: { center: -850, width: 200 },
      },
    );
    expect(Array.from(out).map((v) => Math.round(v * 100) / 100)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('inverts MONOCHROME1 so that dense is always bright, and uses the file window when asked', () => {
    const f = frame(Int16Array.of(0, 100), 1, 2, {
      photometric: 'MONOCHROME1',
      window: { center: 50, width: 100 },
    });
    expect(Array.from(prepareImage(f, { size: 2, window: 'file' }).slice(0, 1))).toEqual([1]);
    // The middle of an image [1, 2] resized to 2×2: the bilinear samples stay within the range.
    const plain = prepareImage(frame(Int16Array.of(0, 100), 1, 2), {
      size: 2,
      window: { center: 50, width: 100 },
    });
    expect(plain[0]).toBeLessThan(plain[1]!);
  });

  it('shrinks with a box filter (the mean of each block) and keeps a linear ramp linear', () => {
    const ramp = Float32Array.from({ length: 64 }, (_, i) => i % 8);
    const half = resize(ramp, 8, 8, 4);
    expect(Array.from(half.slice(0, 4))).toEqual([0.5, 2.5, 4.5, 6.5]);
    const up = resize(Float32Array.of(0, 1, 0, 1), 2, 2, 4);
    expect(Array.from(up.slice(0, 4))).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('prepared-image cache', () => {
  it('decodes each file once, then serves it from disk under the patient folder and a hash name; a touched file is prepared again', async () => {
    const cacheDir = join(dir, 'cache-a');
    const recipe = { size: 32, window: 'auto' as const };
    const source = createImageSource(recipe, cacheDir);
    const first = await source.load(items[0]!.path, items[0]!.patient);
    const second = await source.load(items[0]!.path, items[0]!.patient);
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(Array.from(second.image)).toEqual(Array.from(first.image));
    const names = (await readdir(cacheDir, { recursive: true }))
      .map(String)
      .filter((n) => n.endsWith('.f32'));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(new RegExp(`^${items[0]!.patient}[/\\\\][0-9a-f]{2}[/\\\\][0-9a-f]{64}\\.f32$`));
    // A new recipe, or a file changed since, is prepared afresh.
    expect(
      (await createImageSource({ ...recipe, size: 16 }, cacheDir).load(items[0]!.path, items[0]!.patient))
        .cached,
    ).toBe(false);
    const later = new Date(Date.now() + 5000);
    await utimes(items[0]!.path, later, later);
    expect((await source.load(items[0]!.path, items[0]!.patient)).cached).toBe(false);
  });
});

describe('augmentImage', () => {
  it('is replayable from its seed, and with no rotation or intensity change only flips', () => {
    const image = Float32Array.from({ length: 16 }, (_, i) => i / 16);
    const a = augmentImage(image, 4, new SeededRandom(3));
    expect(Array.from(augmentImage(image, 4, new SeededRandom(3)))).toEqual(Array.from(a));
    const flipped = augmentImage(image, 4, new SeededRandom(3), {
      flip: 1,
      rotationDegrees: 0,
      contrast: 0,
      brightness: 0,
    });
    expect(Array.from(flipped.slice(0, 4)).map((v) => Math.round(v * 16))).toEqual([3, 2, 1, 0]);
  });
});

describe('BatchLoader', () => {
  it('visits every image once per epoch, in a new seeded order each epoch, the same order for the same seed', async () => {
    const make = () =>
      new BatchLoader({
        items,
        recipe: { size: 16, window: 'auto' },
        batchSize: 5,
        cacheDir: join(dir, 'cache-b'),
        seed: 9,
      });
    const loader = make();
    const seen: number[] = [];
    for await (const batch of loader.epoch(0)) {
      expect(batch.images).toHaveLength(batch.count * 16 * 16);
      expect(Math.min(...batch.images)).toBeGreaterThanOrEqual(-1);
      seen.push(...batch.indices);
      expect(Array.from(batch.labels)).toEqual(Array.from(batch.indices, (i) => items[i]!.label));
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
    expect(Array.from(loader.order(1))).not.toEqual(Array.from(loader.order(0)));
    expect(Array.from(make().order(1))).toEqual(Array.from(loader.order(1)));
  });

  it('prepares only a bounded number of batches ahead of the one in use', async () => {
    let decoded = 0;
    const loader = new BatchLoader({
      items,
      recipe: { size: 16, window: 'auto' },
      batchSize: 2,
      prefetch: 1,
      concurrency: 1,
      onDecoded: () => decoded++,
    });
    const iterator = loader.epoch(0);
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The batch handed out plus at most one prepared ahead.
    expect(decoded).toBeLessThanOrEqual(4);
    await iterator.return(undefined);
  });

  it('reports which image failed by its position in the cohort, never by file name', async () => {
    const broken = [...items.slice(0, 2), { path: join(dir, 'missing.dcm'), label: 0, patient: 'x' }];
    const loader = new BatchLoader({
      items: broken,
      recipe: { size: 16, window: 'auto' },
      batchSize: 3,
      shuffle: false,
    });
    const error = await loader
      .epoch(0)
      .next()
      .catch((e: Error) => e);
    expect(String((error as Error).message)).toMatch(
      /^Image 3 of the cohort could not be prepared: .*ENOENT/,
    );
    expect(String((error as Error).message)).not.toContain('missing');
  });
});
