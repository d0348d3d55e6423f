// A fuzz corpus of 1,200 mutations of real files, plus deep nesting: every input gets an outcome with
// a reason, nothing throws, hangs or eats the memory, and whatever is released parses again.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deidentifyInstance, type InstanceOutcome } from '../deid/index.ts';
import { parseDicom } from '../dicom/index.ts';
import { deeplyNestedFile, mutateCorpus, type MutationKind } from './mutate.ts';
import { pydicomTestFiles } from './pydicom-files.ts';

const BASE_NAMES = [
  'CT_small.dcm',
  'MR_small.dcm',
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_RLE.dcm',
  'JPEG2000.dcm',
  'image_dfl.dcm',
  'nested_priv_SQ.dcm',
  'test-SR.dcm',
  'rtstruct.dcm',
  'waveform_ecg.dcm',
  'UN_sequence.dcm',
];
const bases = pydicomTestFiles().filter((f) => BASE_NAMES.includes(basename(f)));
const secret = new Uint8Array(32).fill(3);
const MUTATIONS = 1200;

function expectAnOutcome(outcome: InstanceOutcome, label: string) {
  expect(['deidentified', 'held', 'rejected'], label).toContain(outcome.status);
  if (outcome.status === 'deidentified') expect(outcome.output, label).not.toBeNull();
  else expect(outcome.reason ?? '', label).toMatch(/\S/);
}

describe.skipIf(bases.length === 0)('fuzz corpus (bases from Debian python3-pydicom)', () => {
  it(`gives each of ${MUTATIONS} mutated files an outcome, without throwing or growing the heap`, () => {
    const baseBytes = bases.map((f) => new Uint8Array(readFileSync(f)));
    const kinds = new Map<MutationKind, number>();
    const statuses = new Map<string, number>();
    const heapBefore = process.memoryUsage().heapUsed;
    for (const mutation of mutateCorpus(baseBytes, MUTATIONS, 20261127)) {
      const label = `mutation ${mutation.index} (${mutation.kind} of ${basename(bases[mutation.base] as string)})`;
      let outcome: InstanceOutcome | undefined;
      expect(
        () => (outcome = deidentifyInstance(mutation.bytes, { secret, options: [] })),
        label,
      ).not.toThrow();
      expectAnOutcome(outcome as InstanceOutcome, label);
      kinds.set(mutation.kind, (kinds.get(mutation.kind) ?? 0) + 1);
      statuses.set(outcome!.status, (statuses.get(outcome!.status) ?? 0) + 1);
      // What is released must be a well-formed file: it parses again.
      if (outcome!.output) expect(() => parseDicom(Buffer.concat(outcome!.output!)), label).not.toThrow();
    }
    // Every kind of mutation was exercised, and the corpus produced all three outcomes.
    expect(kinds.size).toBe(5);
    expect(statuses.get('rejected') ?? 0).toBeGreaterThan(0);
    expect(statuses.get('deidentified') ?? 0).toBeGreaterThan(0);
    global.gc?.();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 1024 * 1024);
  });

  it('rejects a sequence nested 10,000 deep with a reason instead of overflowing the stack', () => {
    const outcome = deidentifyInstance(deeplyNestedFile(10_000), { secret, options: [] });
    expect(outcome.status).toBe('rejected');
    expect(outcome.reason).toMatch(/nest|deep/i);
  });

  it('handles moderate nesting (20 levels) as a normal file', () => {
    const outcome = deidentifyInstance(deeplyNestedFile(20), { secret, options: [] });
    expectAnOutcome(outcome, 'nesting 20');
  });
});
