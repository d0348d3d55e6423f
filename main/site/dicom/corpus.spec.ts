// The codec against real files: every file in Debian's python3-pydicom test set is parsed (or
// rejected with a typed error), written back, and the written file checked by pydicom and dcmdump.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomParseError } from './errors.ts';
import type { DicomParseErrorCode } from './errors.ts';
import type { DicomDataset, DicomFile } from './model.ts';
import { parseDicom } from './parse-dicom.ts';
import { Tags } from './tags.ts';
import { datasetDiffs, listCorpus, PYDICOM_TEST_FILES, pydicomCheck } from './test-support.ts';
import type { PydicomVerdict } from './test-support.ts';
import * as TS from './transfer-syntax.ts';
import { writeDicom } from './write-dicom.ts';

/** Files that must be rejected, with the reason. Everything else in the set must parse. */
const EXPECTED_FAILURES: Record<string, { code: DicomParseErrorCode; why: string }> = {
  'MR_truncated.dcm': { code: 'truncated', why: 'pixel data cut short' },
  'rtplan_truncated.dcm': { code: 'truncated', why: 'ends in the middle of a sequence value' },
  'dicomdirtests/DICOMDIR-nooffset': {
    code: 'truncated',
    why: 'elements were cut out of items without fixing the item lengths; the last item runs past the end',
  },
  'no_meta.dcm': { code: 'not-dicom', why: 'a stray first byte shifts the whole bare data set' },
  'README.txt': { code: 'not-dicom', why: 'text' },
  'dicomdirtests/README.txt': { code: 'not-dicom', why: 'text' },
  'dicomdirtests/TINY_ALPHA/README': { code: 'not-dicom', why: 'text' },
  'rtplan.dump': { code: 'not-dicom', why: 'a text dump' },
  'rtstruct.dump': { code: 'not-dicom', why: 'a text dump' },
  'test1.json': { code: 'not-dicom', why: 'DICOM JSON, not Part 10' },
  'test_PN.json': { code: 'not-dicom', why: 'DICOM JSON, not Part 10' },
  'zipMR.gz': { code: 'not-dicom', why: 'gzip' },
};

interface Outcome {
  rel: string;
  file?: DicomFile;
  error?: unknown;
  written?: string;
}

const PIXEL_TAG = Tags.PixelData;
const pixelBytes = (ds: DicomDataset): Uint8Array | undefined => {
  const el = ds.get(PIXEL_TAG);
  return el?.encapsulated ?? el?.value;
};

describe('pydicom test set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'radfed-dicom-corpus-'));
  const outcomes: Outcome[] = [];
  let verdicts = new Map<string, PydicomVerdict>();

  beforeAll(() => {
    listCorpus().forEach((rel, i) => {
      const bytes = readFileSync(join(PYDICOM_TEST_FILES, rel));
      try {
        const file = parseDicom(bytes);
        const written = join(dir, `out-${i}.dcm`);
        const fd = openSync(written, 'w');
        try {
          writevSync(fd, writeDicom(file));
        } finally {
          closeSync(fd);
        }
        outcomes.push({ rel, file, written });
      } catch (error) {
        outcomes.push({ rel, error });
      }
    });
    const pairs = outcomes
      .filter((o) => o.written)
      .map((o): [string, string] => [join(PYDICOM_TEST_FILES, o.rel), o.written as string]);
    verdicts = new Map(pydicomCheck(pairs).map((v) => [v.written, v]));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('covers the whole set (DICOM files, DICOMDIRs, text and archives)', () => {
    expect(outcomes.length).toBeGreaterThan(150);
  });

  it('parses every file or rejects it with a DicomParseError from an explicit check', () => {
    for (const o of outcomes.filter((x) => x.error)) {
      expect(o.error, o.rel).toBeInstanceOf(DicomParseError);
      // A cause means an unexpected exception was caught by the safety net: a missed bounds check.
      expect((o.error as DicomParseError).cause, o.rel).toBeUndefined();
    }
  });

  it('rejects exactly the files listed as bad, each with the expected code and a one-line message', () => {
    const rejected = Object.fromEntries(
      outcomes.filter((o) => o.error).map((o) => [o.rel, (o.error as DicomParseError).code]),
    );
    const expected = Object.fromEntries(Object.entries(EXPECTED_FAILURES).map(([rel, e]) => [rel, e.code]));
    expect(rejected).toEqual(expected);
    for (const o of outcomes.filter((x) => x.error)) expect((o.error as Error).message).not.toMatch(/\n/);
  });

  it('writes files that pydicom reads strictly, with equal pixel data and equal values at every depth', () => {
    const written = outcomes.filter((o) => o.written);
    expect(written.length).toBeGreaterThan(140);
    for (const o of written) {
      const v = verdicts.get(o.written as string);
      expect(v, o.rel).toBeDefined();
      expect(v?.error, o.rel).toBeUndefined();
      expect(v?.ts, o.rel).toBe(o.file?.transferSyntax.uid);
      expect(v?.diffs, o.rel).toEqual([]);
      if (o.file && pixelBytes(o.file.dataset)) expect(v?.pixel, o.rel).toBe(true);
    }
  });

  it('writes files that dcmdump reads without errors', () => {
    const written = outcomes.filter((o) => o.written).map((o) => o.written as string);
    // One dcmdump run over all files: it exits non-zero if any file fails to load.
    const dump = execFileSync('/usr/bin/dcmdump', ['-q', ...written], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(dump).toContain('# Dicom-File-Format');
  });

  it('reads back its own output as the same model, in every transfer syntax of the set', () => {
    const seen = new Set<string>();
    for (const o of outcomes.filter((x) => x.file && x.written)) {
      const original = o.file as DicomFile;
      const again = parseDicom(readFileSync(o.written as string));
      expect(again.transferSyntax, o.rel).toEqual(original.transferSyntax);
      expect(datasetDiffs(original.dataset, again.dataset), o.rel).toEqual([]);
      const pixels = pixelBytes(original.dataset);
      if (pixels) {
        expect(
          Buffer.from(pixelBytes(again.dataset) ?? [])
            .subarray(0, pixels.length)
            .equals(pixels),
          o.rel,
        ).toBe(true);
        seen.add(original.transferSyntax.uid);
      }
    }
    for (const uid of [
      TS.IMPLICIT_VR_LITTLE_ENDIAN,
      TS.EXPLICIT_VR_LITTLE_ENDIAN,
      TS.EXPLICIT_VR_BIG_ENDIAN,
      TS.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
      TS.RLE_LOSSLESS,
      TS.JPEG_BASELINE,
      TS.JPEG_EXTENDED,
      TS.JPEG_LOSSLESS_SV1,
      TS.JPEG_LS_LOSSLESS,
      TS.JPEG_2000_LOSSLESS,
      TS.JPEG_2000,
    ]) {
      expect(seen, uid).toContain(uid);
    }
  });

  it('keeps pixel data as a view of the input, and writes that same memory out', () => {
    const bytes = readFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'));
    const file = parseDicom(bytes);
    const pixels = file.dataset.get(PIXEL_TAG)?.value as Uint8Array;
    expect(pixels.buffer).toBe(bytes.buffer);
    const chunk = writeDicom(file).find((c) => c.length === pixels.length);
    expect(chunk?.buffer).toBe(bytes.buffer);
    expect(chunk?.byteOffset).toBe(pixels.byteOffset);
  });
});
