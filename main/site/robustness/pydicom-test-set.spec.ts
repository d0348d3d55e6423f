// Every file of Debian's pydicom test set through the whole engine: each is de-identified, held or
// rejected with a reason; nothing crashes; what is released is valid DICOM without the patient's name or ID.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deidentifyInstance, type InstanceOutcome } from '../deid/index.ts';
import { pydicomTestFiles } from './pydicom-files.ts';
import { readWithPydicom, type PydicomReading } from './pydicom.ts';

const files = pydicomTestFiles();
const secret = new Uint8Array(32).fill(7);

describe.skipIf(files.length === 0)('pydicom test set (needs Debian python3-pydicom)', () => {
  const outcomes = new Map<string, InstanceOutcome>();
  const released = new Map<string, string>();
  let originals: Record<string, PydicomReading> = {};
  let readBack: Record<string, PydicomReading> = {};

  beforeAll(() => {
    const out = mkdtempSync(join(tmpdir(), 'radfed-pydicom-set-'));
    originals = readWithPydicom(files);
    for (const file of files) {
      const outcome = deidentifyInstance(readFileSync(file), { secret, options: [] });
      outcomes.set(file, outcome);
      if (outcome.output) {
        const path = join(out, `${basename(file)}.out.dcm`);
        writeFileSync(path, Buffer.concat(outcome.output));
        released.set(file, path);
      }
    }
    readBack = readWithPydicom([...released.values()]);
  });

  it('gives every file an outcome, and a one-line reason to every file not released', () => {
    expect(outcomes.size).toBe(files.length);
    for (const [file, outcome] of outcomes) {
      expect(['deidentified', 'held', 'rejected'], file).toContain(outcome.status);
      if (outcome.status !== 'deidentified') {
        expect(outcome.reason, file).toMatch(/\S/);
        expect(outcome.reason, file).not.toContain('\n');
      }
    }
  });

  it('releases most of the set: plain images in every transfer syntax are de-identified', () => {
    const deidentified = [...outcomes.values()].filter((o) => o.status === 'deidentified').length;
    expect(deidentified).toBeGreaterThan(files.length / 2);
    for (const name of [
      'CT_small.dcm',
      'MR_small.dcm',
      'MR_small_RLE.dcm',
      'MR_small_bigendian.dcm',
      'MR_small_implicit.dcm',
      'MR_small_jp2klossless.dcm',
      'MR_small_jpeg_ls_lossless.dcm',
    ]) {
      const file = files.find((f) => basename(f) === name) as string;
      expect(outcomes.get(file)?.status, name).toBe('deidentified');
    }
  });

  it('reads deflated and JPEG files, and holds those whose modality or SOP class risks burned-in text', () => {
    for (const name of ['image_dfl.dcm', 'JPEG2000.dcm', 'JPGExtended.dcm']) {
      const file = files.find((f) => basename(f) === name) as string;
      expect(outcomes.get(file)?.status, name).toBe('held');
      expect(outcomes.get(file)?.reason, name).toMatch(/burned-in/);
    }
  });

  it('rejects the truncated files rather than releasing half a file', () => {
    for (const name of ['MR_truncated.dcm', 'rtplan_truncated.dcm']) {
      const file = files.find((f) => basename(f) === name) as string;
      expect(outcomes.get(file)?.status, name).not.toBe('deidentified');
    }
  });

  it('writes files pydicom reads, marked Patient Identity Removed, without the original name or ID', () => {
    for (const [file, path] of released) {
      const reading = readBack[path] as PydicomReading;
      expect(reading.ok, `${basename(file)}: ${reading.error ?? ''}`).toBe(true);
      expect(reading.PatientIdentityRemoved, basename(file)).toBe('YES');
      const bytes = readFileSync(path).toString('latin1');
      const original = originals[file];
      for (const value of [original?.PatientName, original?.PatientID]) {
        for (const part of (value ?? '').split(/[\^=\s]+/).filter((p) => p.length >= 3)) {
          expect(bytes.includes(part), `${basename(file)} still holds "${part}"`).toBe(false);
        }
      }
    }
  });
});
