import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deidentifyInstance } from '../deid/index.ts';
import { parseDicom, Tags } from '../dicom/index.ts';
import { deidentifyBatch, readWholeFile, type FileOutcome } from './index.ts';
import { HEAD_BYTES } from './deid-file.ts';
import { filesUnder, pixelPattern, SECRET, workFolder, writeCtFile } from './test-files.ts';
import { withoutPadding } from '../dicom/test-support.ts';

const work = workFolder('batch');
const settings = { secret: SECRET, options: [] };

// Sizes on both sides of the reused read buffer's first size (1 MiB), in an order where a small file
// follows a big one: a stale tail of the big one must never reach the small one's output. Every other
// file has a long private attribute, so its de-identified header is shorter than its own and is
// written over a copy of the source; the others' headers grow, and their pixel data is copied after.
const PIXEL_BYTES = [600_000, 1_500_000, 512, 2_600_000, 6, 90_000, 1_200_000, 2];
const privateBytesOf = (i: number): number => (i % 2 === 0 ? 3_000 : 0);

function corpus(name: string): string[] {
  const dir = join(work, name);
  mkdirSync(dir);
  return PIXEL_BYTES.map((bytes, i) => {
    const path = join(dir, `${String(i).padStart(2, '0')}.dcm`);
    writeCtFile(path, i, bytes, i % 3, privateBytesOf(i));
    return path;
  });
}

function expectOutputsExact(inputs: string[], outcomes: FileOutcome[], outDir: string): void {
  expect(outcomes.map((o) => o.input)).toEqual(inputs);
  outcomes.forEach((outcome, i) => {
    expect(outcome.status).toBe('deidentified');
    const written = readFileSync(join(outDir, outcome.output as string));
    // The same as de-identifying that file alone, whole, from a buffer of its own.
    const alone = Buffer.concat(
      deidentifyInstance(readFileSync(inputs[i] as string), settings).output as Buffer[],
    );
    expect(withoutPadding(written).equals(alone)).toBe(true);
    // Written over a copy of the source (same length, padded) exactly when its header got shorter.
    const overCopy = privateBytesOf(i) > 0 && (PIXEL_BYTES[i] as number) + 3_000 > HEAD_BYTES;
    expect(written.length === statSync(inputs[i] as string).size).toBe(overCopy);
    expect(parseDicom(written).meta.has(0x00020102)).toBe(overCopy);
    const pixels = parseDicom(written).dataset.get(Tags.PixelData)?.value;
    expect(Buffer.from(pixels as Uint8Array).equals(pixelPattern(i, PIXEL_BYTES[i] as number))).toBe(true);
  });
}

describe('de-identifying a batch of files', () => {
  for (const jobs of [1, 2]) {
    it(`keeps each file's bytes to its own output when read buffers are reused (${jobs} thread(s))`, async () => {
      const inputs = corpus(`sizes-${jobs}`);
      const outDir = join(work, `out-sizes-${jobs}`);
      const seen: number[] = [];
      const outcomes = await deidentifyBatch({
        inputs,
        outDir,
        settings,
        jobs,
        onOutcome: (_, done) => seen.push(done),
      });
      expect(seen).toEqual(inputs.map((_, i) => i + 1));
      expectOutputsExact(inputs, outcomes, outDir);
      expect(filesUnder(outDir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    });
  }

  it('creates output folders again when they were removed between runs', async () => {
    const inputs = corpus('rerun');
    const outDir = join(work, 'out-rerun');
    const first = await deidentifyBatch({ inputs, outDir, settings, jobs: 1 });
    // Remove one series folder, then the whole output folder.
    const oneSeries = join(outDir, (first[0] as FileOutcome).output as string, '..');
    rmSync(oneSeries, { recursive: true });
    expectOutputsExact(inputs, await deidentifyBatch({ inputs, outDir, settings, jobs: 2 }), outDir);
    rmSync(outDir, { recursive: true });
    expectOutputsExact(inputs, await deidentifyBatch({ inputs, outDir, settings }), outDir);
  });

  it('rejects unreadable and non-DICOM inputs and still writes the rest', async () => {
    const dir = join(work, 'mixed');
    mkdirSync(dir);
    const good = join(dir, 'good.dcm');
    writeCtFile(good, 0, PIXEL_BYTES[0] as number);
    const junk = join(dir, 'junk.dcm');
    writeFileSync(junk, Buffer.alloc(3000, 0x41));
    const missing = join(dir, 'missing.dcm');
    const outDir = join(work, 'out-mixed');
    const outcomes = await deidentifyBatch({ inputs: [junk, good, missing], outDir, settings, jobs: 2 });
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'deidentified', 'rejected']);
    expect(outcomes[2]?.reason).toContain('ENOENT');
    expect(filesUnder(outDir)).toHaveLength(1);
  });

  for (const jobs of [1, 2]) {
    it(`keeps the first of two copies of one instance, whichever thread wrote last (${jobs} thread(s))`, async () => {
      const dir = join(work, `copies-${jobs}`);
      mkdirSync(dir);
      // Files 0 and 2 are one instance (the same SOP Instance UID) with different pixel data.
      const inputs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => join(dir, `${i}.dcm`));
      inputs.forEach((path, i) => writeCtFile(path, i === 2 ? 0 : i, i === 2 ? 4_000 : 2_000));
      const outDir = join(work, `out-copies-${jobs}`);
      const outcomes = await deidentifyBatch({ inputs, outDir, settings, jobs });
      expect(outcomes.every((o) => o.status === 'deidentified')).toBe(true);
      expect(outcomes[2]!.output).toBe(outcomes[0]!.output);
      expect(outcomes[2]!.reason).toBe(
        'the same instance (SOP Instance UID) as file 1 of this run: the de-identified copy of that file is the one kept',
      );
      expect(outcomes[0]!.reason).toBeNull();
      const kept = readFileSync(join(outDir, outcomes[0]!.output as string));
      const first = deidentifyInstance(readFileSync(inputs[0] as string), settings).output as Buffer[];
      expect(kept.equals(Buffer.concat(first))).toBe(true);
      expect(filesUnder(outDir)).toHaveLength(9);
    });
  }
});

describe('reading a whole file', () => {
  it('returns exactly the file, also after a bigger file and past the first buffer size', () => {
    const big = join(work, 'big.bin');
    const small = join(work, 'small.bin');
    const empty = join(work, 'empty.bin');
    const bigBytes = Buffer.from(pixelPattern(5, 3_000_000));
    writeFileSync(big, bigBytes);
    writeFileSync(small, 'abc');
    writeFileSync(empty, '');
    expect(readWholeFile(big).equals(bigBytes)).toBe(true);
    expect(readWholeFile(small).toString()).toBe('abc');
    expect(readWholeFile(empty).length).toBe(0);
    expect(readWholeFile(big).equals(bigBytes)).toBe(true);
    expect(existsSync(big)).toBe(true);
  });
});
