// The ways a de-identified file reaches the output folder when its pixel data stays in the source,
// and the clean-up after a killed run.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deidentifyInstance } from '../deid/index.ts';
import { parseDicom, Tags } from '../dicom/index.ts';
import { deidentifyFile, HEAD_BYTES } from './deid-file.ts';
import { deidentifyBatch } from './deid-pool.ts';
import { SourceChangedError, writeOutput } from './output-writes.ts';
import { RUN_MARKER } from './run-marker.ts';
import { filesUnder, pixelPattern, SECRET, workFolder, writeCtFile } from './test-files.ts';

const work = workFolder('output-writes');
const settings = { secret: SECRET, options: [] };

const wholeOutput = (input: string): Buffer =>
  Buffer.concat(deidentifyInstance(readFileSync(input), settings).output as Buffer[]);

describe('writing a file whose pixel data stays in the source', () => {
  it('writes over a copy of a read-only source, and the output is rw-r--r-- with no name left in it', () => {
    const input = join(work, 'read-only.dcm');
    writeCtFile(input, 3, 200_000, 1, 2_000);
    chmodSync(input, 0o444);
    const outDir = join(work, 'out-read-only');
    const outcome = deidentifyFile(input, outDir, settings);
    expect(outcome.status).toBe('deidentified');
    const path = join(outDir, outcome.output as string);
    const written = readFileSync(path);
    expect(written.length).toBe(statSync(input).size);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(written.includes('HOLLOWAY')).toBe(false);
    expect(written.includes('MRN8812345')).toBe(false);
    const pixels = parseDicom(written).dataset.get(Tags.PixelData)?.value as Uint8Array;
    expect(Buffer.from(pixels).equals(pixelPattern(3, 200_000))).toBe(true);
    expect(filesUnder(outDir)).toEqual([path]);
  });

  it(`reads a file whole when its header is longer than the first ${HEAD_BYTES} bytes`, () => {
    const input = join(work, 'long-header.dcm');
    writeCtFile(input, 4, 200_000, 1, HEAD_BYTES + 1_000);
    const outDir = join(work, 'out-long-header');
    const outcome = deidentifyFile(input, outDir, settings);
    const written = readFileSync(join(outDir, outcome.output as string));
    expect(written.equals(wholeOutput(input))).toBe(true);
  });

  it('refuses to finish a file whose source changed since its header was read, and leaves nothing', () => {
    const input = join(work, 'changing.dcm');
    const bytes = writeCtFile(input, 5, 100_000);
    const outDir = join(work, 'out-changing');
    mkdirSync(join(outDir, 'p'), { recursive: true });
    const header = [bytes.subarray(0, 1_000)];
    for (const from of [1_000, 900]) {
      // The size given is the one seen when the header was read; the file is bigger now.
      const tail = { source: input, from, size: bytes.length - 10, mode: 0o644 };
      expect(() => writeOutput(outDir, join('p', 'x.dcm'), header, tail)).toThrow(SourceChangedError);
    }
    expect(filesUnder(outDir)).toEqual([]);
  });
});

describe('copies of one instance written by two threads at once', () => {
  it('release only de-identified bytes, each thread under a temporary name of its own', async () => {
    const dir = join(work, 'same-instance');
    mkdirSync(dir);
    // Sixteen copies of one instance (file number 7), each written over a copy of its source.
    const inputs = Array.from({ length: 16 }, (_, i) => join(dir, `${i}.dcm`));
    for (const input of inputs) writeCtFile(input, 7, 150_000, 1, 2_000);
    const outDir = join(work, 'out-same-instance');
    const outcomes = await deidentifyBatch({ inputs, outDir, settings, jobs: 2 });
    expect(new Set(outcomes.map((o) => o.output)).size).toBe(1);
    const files = filesUnder(outDir);
    expect(files).toHaveLength(1);
    const kept = readFileSync(files[0] as string);
    expect(kept.includes('HOLLOWAY')).toBe(false);
    expect(parseDicom(kept).meta.has(0x00020102)).toBe(true);
  });
});

describe('a run killed while writing', () => {
  function leftovers(name: string, markerPid: number): { outDir: string; stale: string; inputs: string[] } {
    const inputs = [0, 1].map((i) => {
      const path = join(work, `${name}-${i}.dcm`);
      writeCtFile(path, 10 + i, 100_000, 1, 2_000);
      return path;
    });
    const outDir = join(work, `out-${name}`);
    mkdirSync(join(outDir, 'RFPSEUDONYM', 'study'), { recursive: true });
    const stale = join(outDir, 'RFPSEUDONYM', 'study', '2.25.1.dcm.partial');
    writeFileSync(stale, readFileSync(inputs[0] as string)); // as if killed before its header was replaced
    writeFileSync(join(outDir, RUN_MARKER), `${markerPid}\n`);
    return { outDir, stale, inputs };
  }

  it('removes the temporary files of a run whose process is gone, and its own mark when done', async () => {
    const { outDir, stale, inputs } = leftovers('killed', 0x7ffffffe);
    const outcomes = await deidentifyBatch({ inputs, outDir, settings, jobs: 1 });
    expect(outcomes.map((o) => o.status)).toEqual(['deidentified', 'deidentified']);
    expect(filesUnder(outDir).some((f) => f === stale || f.endsWith('.partial'))).toBe(false);
    expect(filesUnder(outDir).some((f) => f.endsWith(RUN_MARKER))).toBe(false);
    for (const file of filesUnder(outDir)) expect(readFileSync(file).includes('HOLLOWAY')).toBe(false);
  });

  it('leaves the temporary files of a run that is still going', async () => {
    const { outDir, stale, inputs } = leftovers('running', process.ppid);
    await deidentifyBatch({ inputs, outDir, settings, jobs: 1 });
    expect(filesUnder(outDir)).toContain(stale);
  });
});
