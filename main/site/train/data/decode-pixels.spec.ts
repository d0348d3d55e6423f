// Our pixel decoding against pydicom's pixel_array, on pydicom's own test files (every transfer
// syntax pydicom can decode here), and against dcmtk where pydicom has no decoder (JPEG lossless,
// JPEG-LS): dcmtk decompresses, pydicom reads the result. CT_small is also compressed by dcmtk into
// RLE, JPEG lossless and JPEG-LS, and must come back value for value. One batched pydicom run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom } from '../../dicom/index.ts';
import { decodeFrame, type PixelArray } from './decode-pixels.ts';

const PYTHON = '/usr/bin/python3';
const FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const SCRIPT = new URL('./pydicom-pixels.py', import.meta.url).pathname;

/** Files where our decoder and pydicom disagree for a known, stated reason. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'SC_rgb_jpeg.dcm': 'RGB JPEG without colour transform: the libjpeg-turbo codec converts it as YCbCr',
  'SC_jpeg_no_color_transform.dcm': 'same: RGB components, no JFIF/Adobe marker',
  'SC_rgb_jpeg_lossy_gdcm.dcm': 'header says RGB but the stream is YCbCr; pydicom returns it unconverted',
};

/** Lossy colour JPEG: pydicom's colour conversion and libjpeg-turbo's round differently. */
const JPEG_COLOUR_TOLERANCE = 3;

interface Reference {
  index: number;
  path: string;
  dtype?: string;
  shape?: number[];
  error?: string;
  converted?: boolean;
}

let work: string;
let references: Reference[];
const available = existsSync(PYTHON) && existsSync(FILES) && existsSync('/usr/bin/dcmdjpeg');

const ARRAYS: Record<string, new (b: ArrayBuffer, o: number, n: number) => PixelArray> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
};

function referenceValues(r: Reference): PixelArray {
  const bytes = readFileSync(join(work, `${r.index}.bin`));
  const Ctor = ARRAYS[r.dtype!]!;
  const copy = new Uint8Array(bytes).buffer;
  return new Ctor(
    copy,
    0,
    bytes.length / (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT,
  );
}

async function ours(path: string) {
  return decodeFrame(parseDicom(new Uint8Array(readFileSync(path))));
}

function maxDifference(a: PixelArray, b: PixelArray): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const dcmtk = (tool: string, ...args: string[]) => execFileSync(`/usr/bin/${tool}`, args, { stdio: 'pipe' });

describe.skipIf(!available)('pixel decoding against pydicom and dcmtk', () => {
  const derived: Record<string, string> = {};

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'radfed-pixels-'));
    const ct = join(FILES, 'CT_small.dcm');
    // dcmtk compresses CT_small losslessly, and decompresses what pydicom cannot decode here.
    derived['ct-rle'] = join(work, 'ct-rle.dcm');
    dcmtk('dcmcrle', ct, derived['ct-rle']);
    derived['ct-jpeg-lossless'] = join(work, 'ct-jpeg-lossless.dcm');
    dcmtk('dcmcjpeg', '+e1', ct, derived['ct-jpeg-lossless']);
    derived['ct-jpeg-lossless-p14'] = join(work, 'ct-jpeg-lossless-p14.dcm');
    dcmtk('dcmcjpeg', '+el', ct, derived['ct-jpeg-lossless-p14']);
    derived['ct-jpeg-ls'] = join(work, 'ct-jpeg-ls.dcm');
    dcmtk('dcmcjpls', '+el', ct, derived['ct-jpeg-ls']);
    derived['mr-jpeg-ls-plain'] = join(work, 'mr-jpeg-ls-plain.dcm');
    dcmtk('dcmdjpls', join(FILES, 'MR_small_jpeg_ls_lossless.dcm'), derived['mr-jpeg-ls-plain']);
    derived['sc-jpeg-lossless-plain'] = join(work, 'sc-jpeg-lossless-plain.dcm');
    dcmtk('dcmdjpeg', join(FILES, 'SC_rgb_jpeg_gdcm.dcm'), derived['sc-jpeg-lossless-plain']);
    const pydicomFiles = execFileSync('/usr/bin/find', [FILES, '-maxdepth', '1', '-name', '*.dcm'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .sort();
    const all = [...pydicomFiles, ct, derived['mr-jpeg-ls-plain'], derived['sc-jpeg-lossless-plain']];
    const output = execFileSync(PYTHON, [SCRIPT, work, ...all], { encoding: 'utf8', maxBuffer: 64 << 20 });
    references = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Reference);
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('matches pydicom value for value on every test file pydicom decodes (native, big endian, RLE, JPEG, J2K)', async () => {
    const checked: string[] = [];
    for (const r of references.filter((x) => x.path.startsWith(FILES) && !x.error)) {
      const name = basename(r.path);
      if (KNOWN_DIFFERENCES[name]) continue;
      const decoded = await ours(r.path);
      const difference = maxDifference(decoded.values, referenceValues(r));
      expect(difference, name).toBeLessThanOrEqual(r.converted ? JPEG_COLOUR_TOLERANCE : 0);
      checked.push(name);
    }
    // The syntaxes covered: explicit/implicit LE, big endian, deflate, RLE, JPEG baseline, J2K.
    for (const name of [
      'MR_small_bigendian.dcm',
      'MR_small_RLE.dcm',
      'image_dfl.dcm',
      'SC_rgb_jpeg_dcmd.dcm',
      'JPEG2000.dcm',
    ]) {
      expect(checked).toContain(name);
    }
    expect(checked.length).toBeGreaterThanOrEqual(40);
  });

  it('decodes JPEG-LS and JPEG lossless exactly as dcmtk does (pydicom has no decoder for them here)', async () => {
    const pairs: [string, string][] = [
      [join(FILES, 'MR_small_jpeg_ls_lossless.dcm'), derived['mr-jpeg-ls-plain']!],
      [join(FILES, 'SC_rgb_jpeg_gdcm.dcm'), derived['sc-jpeg-lossless-plain']!],
    ];
    for (const [compressed, plain] of pairs) {
      const reference = references.find((r) => r.path === plain)!;
      expect(reference.error, plain).toBeUndefined();
      expect(maxDifference((await ours(compressed)).values, referenceValues(reference)), compressed).toBe(0);
    }
  });

  it('gets CT_small back value for value from dcmtk RLE, JPEG lossless (SV1 and process 14) and JPEG-LS', async () => {
    const original = references.find((r) => r.path === join(FILES, 'CT_small.dcm'))!;
    for (const key of ['ct-rle', 'ct-jpeg-lossless', 'ct-jpeg-lossless-p14', 'ct-jpeg-ls']) {
      const decoded = await ours(derived[key]!);
      expect(decoded.values, key).toBeInstanceOf(Int16Array);
      expect(maxDifference(decoded.values, referenceValues(original)), key).toBe(0);
    }
  });

  it('refuses 12-bit JPEG, damaged streams and non-images with a sentence, not a crash', async () => {
    await expect(ours(join(FILES, 'JPGExtended.dcm'))).rejects.toThrow(/12-bit samples.*not supported/);
    await expect(ours(join(FILES, 'JPEG2000-embedded-sequence-delimiter.dcm'))).rejects.toThrow(
      /header says/,
    );
    await expect(ours(join(FILES, 'rtplan.dcm'))).rejects.toThrow(/no Rows/);
  });
});
