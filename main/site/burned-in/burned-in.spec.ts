// Real OCR on real rendered text: synthetic radiographs and screen captures carry a fake patient's
// name, ID and dates drawn in real letters (main/site/synth), read back with tesseract.js. OCR is
// CPU-heavy: the corpus is small (256 px images) and each image is read as few times as possible.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeText, getString, parseDicom, readStrings, Tags, type DicomDataset } from '../dicom/index.ts';
import { deidentifyDataset } from '../deid/index.ts';
import { drawText, synthesizeStudies } from '../synth/index.ts';
import { decodeFrame } from '../train/data/index.ts';
import { blankedArea } from './blank.ts';
import { identifyingNeedles, identifyingWords } from './identifiers.ts';
import { ocrModelDirectory, type OcrWord } from './ocr.ts';
import {
  BurnedInError,
  cleanBurnedInText,
  closeBurnedInOcr,
  detectBurnedInText,
  renderForDisplay,
  type BurnedInCleaning,
  type BurnedInDetection,
} from './index.ts';
import { verifyPicture } from './verify.ts';

let tmp = '';
let radiograph: Uint8Array;
let capture: Uint8Array;

const modality = (bytes: Uint8Array): string =>
  (getString(parseDicom(bytes).dataset, Tags.Modality) ?? '').trim();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'radfed-burned-in-'));
  // Seed 7 with 20 patients gives a radiograph flagged as burned in and screen captures.
  const result = await synthesizeStudies({
    outDir: join(tmp, 'corpus'),
    sites: 1,
    patients: 20,
    seed: 7,
    modalities: ['RADIOGRAPH'],
  });
  const files = result.files.map((f) => new Uint8Array(readFileSync(f.path)));
  radiograph = files.find(
    (b) => getString(parseDicom(b).dataset, Tags.BurnedInAnnotation)?.trim() === 'YES',
  )!;
  capture = files.find((b) => modality(b) === 'OT')!;
  expect(radiograph).toBeDefined();
  expect(capture).toBeDefined();
});

afterAll(async () => {
  await closeBurnedInOcr();
  rmSync(tmp, { recursive: true, force: true });
});

/** Header values that must never appear in a result that leaves the agent. */
function headerSecrets(bytes: Uint8Array): string[] {
  const ds = parseDicom(bytes).dataset;
  const name = getString(ds, Tags.PatientName) ?? '';
  return [...name.split('^'), getString(ds, Tags.PatientID) ?? '', getString(ds, Tags.PatientBirthDate) ?? '']
    .map((v) => v.trim())
    .filter((v) => v.length >= 3);
}

const TESSERACT = '/usr/bin/tesseract';

/** Words read by Debian's tesseract (another build and model) in the file's display rendering. */
async function debianReading(dicom: Uint8Array): Promise<OcrWord[]> {
  const png = join(tmp, 'reading.png');
  writeFileSync(png, (await renderForDisplay(dicom)).png);
  const run = spawnSync(TESSERACT, [png, 'stdout', '--psm', '11'], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout
    .split('\n')
    .flatMap((text, line) =>
      text.split(/\s+/).map((w) => ({ x: 0, y: 0, width: 1, height: 1, text: w, confidence: 0, line })),
    );
}

/** Decodes the PNG this room writes (filter 0 on every row) back to its pixel bytes. */
function readPng(png: Uint8Array): { width: number; height: number; channels: number; data: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const channels = png[25] === 2 ? 3 : 1;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++)
    data.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  return { width, height, channels, data };
}

describe('renderForDisplay', () => {
  it('renders a windowed greyscale PNG no larger than asked, and inverts MONOCHROME1', async () => {
    const small = await renderForDisplay(radiograph, { maxSize: 100 });
    expect(Buffer.from(small.png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(Math.max(small.width, small.height)).toBeLessThanOrEqual(100);
    const normal = readPng((await renderForDisplay(radiograph)).png);
    expect(normal.width).toBe(256);
    expect(normal.channels).toBe(1);
    const file = parseDicom(radiograph);
    file.dataset.set(Tags.PhotometricInterpretation, {
      tag: Tags.PhotometricInterpretation,
      vr: 'CS',
      value: encodeText('MONOCHROME1', 'CS'),
    });
    const { writeDicom } = await import('../dicom/index.ts');
    const inverted = readPng((await renderForDisplay(new Uint8Array(Buffer.concat(writeDicom(file))))).png);
    for (const i of [0, 1000, 30_000, 65_535]) expect(inverted.data[i]).toBe(255 - normal.data[i]!);
  });

  it('refuses a file that is not DICOM with a plain reason', async () => {
    await expect(renderForDisplay(new Uint8Array(300))).rejects.toThrow(/re-export it/);
  });
});

describe('detection and cleaning on a burned-in radiograph', () => {
  let detection: BurnedInDetection;
  let cleaning: BurnedInCleaning;

  beforeAll(async () => {
    detection = await detectBurnedInText(radiograph, { policy: 'identifying' });
    cleaning = await cleanBurnedInText(radiograph, { policy: 'identifying' });
  });

  it("finds the fake name, ID and birth date in the label's corner, and marks them identifying", () => {
    const identifying = detection.boxes.filter((b) => b.identifying);
    expect(detection.counts.identifyingText).toBeGreaterThanOrEqual(3);
    expect(identifying.length).toBeGreaterThanOrEqual(3);
    // The synthetic console draws its label in the top-left third.
    for (const b of identifying) expect(b.y + b.height).toBeLessThan(256 / 3);
  });

  it('never lets recognised text or header values out in what it returns', () => {
    const json = JSON.stringify(detection);
    for (const secret of headerSecrets(radiograph))
      expect(json.toUpperCase()).not.toContain(secret.toUpperCase());
    expect(json).toContain('[recognised text withheld]');
    expect(detection.agentOnlyText.size).toBeGreaterThan(0);
  });

  it('cleans it: the second reading finds none, Burned In Annotation says NO and the method is recorded', () => {
    expect(cleaning.outcome).toBe('cleaned');
    if (cleaning.outcome !== 'cleaned') return;
    const ds = parseDicom(cleaning.dicom).dataset;
    expect(getString(ds, Tags.BurnedInAnnotation)?.trim()).toBe('NO');
    expect(codes(ds)).toContain('113101');
    expect(getString(ds, Tags.DeidentificationMethod)).toMatch(/burned-in text removal, OCR-verified/);
    // The header is still the identified one: de-identification runs next.
    expect(getString(ds, Tags.PatientID)).toBe(getString(parseDicom(radiograph).dataset, Tags.PatientID));
  });

  it('changes no pixel outside the blanked boxes (decoded frames, value for value)', async () => {
    if (cleaning.outcome !== 'cleaned') throw new Error('not cleaned');
    const before = await decodeFrame(parseDicom(radiograph));
    const after = await decodeFrame(parseDicom(cleaning.dicom));
    const areas = cleaning.boxes.map((b) => blankedArea(b, before.columns, before.rows));
    let changedInside = 0;
    for (let y = 0; y < before.rows; y++)
      for (let x = 0; x < before.columns; x++) {
        const i = y * before.columns + x;
        const inside = areas.some((a) => x >= a.x && x < a.x + a.width && y >= a.y && y < a.y + a.height);
        if (inside) changedInside += before.values[i] === after.values[i] ? 0 : 1;
        else expect(after.values[i]).toBe(before.values[i]);
      }
    expect(changedInside).toBeGreaterThan(100);
  });

  it('an independent reading of the cleaned file finds no identifying text', async () => {
    if (cleaning.outcome !== 'cleaned') throw new Error('not cleaned');
    const again = await detectBurnedInText(cleaning.dicom, { policy: 'identifying' });
    expect(again.counts.identifyingText).toBe(0);
  });

  it.skipIf(!existsSync(TESSERACT))(
    "an independent reader (Debian's tesseract) reads the name before cleaning and nothing identifying after",
    async () => {
      if (cleaning.outcome !== 'cleaned') throw new Error('not cleaned');
      const needles = identifyingNeedles(parseDicom(radiograph).dataset);
      const before = await debianReading(radiograph);
      const after = await debianReading(cleaning.dicom);
      expect(identifyingWords(before, needles).some(Boolean)).toBe(true);
      expect(identifyingWords(after, needles).some(Boolean)).toBe(false);
    },
  );

  it('the de-identification engine keeps the cleaning in its method record', () => {
    if (cleaning.outcome !== 'cleaned') throw new Error('not cleaned');
    const secret = new Uint8Array(32).fill(7);
    const out = deidentifyDataset(parseDicom(cleaning.dicom), { secret, options: [] }).file.dataset;
    expect(codes(out)).toEqual(expect.arrayContaining(['113100', '113101']));
    const method = readStrings(out.get(Tags.DeidentificationMethod)!);
    expect(method.some((l) => /Basic Application Confidentiality Profile/.test(l))).toBe(true);
    expect(method.some((l) => /burned-in text removal/.test(l))).toBe(true);
    expect(getString(out, Tags.BurnedInAnnotation)?.trim()).toBe('NO');
  });
});

const codes = (ds: DicomDataset): string[] =>
  (ds.get(Tags.DeidentificationMethodCodeSequence)?.items ?? []).map((i) =>
    (getString(i, Tags.CodeValue) ?? '').trim(),
  );

describe('a screen capture', () => {
  it("applies the viewer's rule (its header band) and blanks all text under 'all-text'", async () => {
    const cleaned = await cleanBurnedInText(capture, { policy: 'all-text' });
    const rule = cleaned.boxes.filter((b) => b.source === 'rule');
    expect(rule).toEqual([{ x: 0, y: 0, width: 256, height: 26, source: 'rule', identifying: true }]);
    expect(cleaned.outcome).toBe('cleaned');
    // "Dose report" identifies no one, but 'all-text' blanks every text box.
    expect(cleaned.boxes.filter((b) => b.source === 'ocr').length).toBeGreaterThanOrEqual(4);
  });
});

describe('missing OCR model', () => {
  it('fails with a clear error that says how to restore it, and downloads nothing', async () => {
    await closeBurnedInOcr();
    const empty = mkdtempSync(join(tmp, 'model-'));
    process.env['RADFED_OCR_MODEL_DIR'] = empty;
    try {
      const failure = await detectBurnedInText(capture, { policy: 'identifying' }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(BurnedInError);
      expect((failure as BurnedInError).code).toBe('ocr-model-missing');
      expect((failure as Error).message).toMatch(/model is missing.*reinstall RadFed/);
    } finally {
      delete process.env['RADFED_OCR_MODEL_DIR'];
    }
  });

  it('refuses a damaged model with a clear error instead of letting the engine crash the process', async () => {
    await closeBurnedInOcr();
    const damaged = mkdtempSync(join(tmp, 'model-'));
    // A truncated copy of the real model: whole gzip header, no end.
    const real = readFileSync(join(ocrModelDirectory(), 'eng.traineddata.gz'));
    writeFileSync(join(damaged, 'eng.traineddata.gz'), real.subarray(0, 4096));
    process.env['RADFED_OCR_MODEL_DIR'] = damaged;
    try {
      const failure = await detectBurnedInText(capture, { policy: 'identifying' }).catch((e: unknown) => e);
      expect((failure as BurnedInError).code).toBe('ocr-model-damaged');
      expect((failure as Error).message).toMatch(/model is damaged.*reinstall RadFed/);
    } finally {
      delete process.env['RADFED_OCR_MODEL_DIR'];
    }
  });

  it('reads the model from node_modules and writes no model copy to the working folder', () => {
    expect(ocrModelDirectory()).toMatch(/node_modules[\\/]@tesseract\.js-data[\\/]eng[\\/]/);
    expect(existsSync(join(process.cwd(), 'eng.traineddata'))).toBe(false);
  });

  it('refuses an unknown policy', async () => {
    await expect(
      detectBurnedInText(capture, { policy: 'everything' as unknown as 'all-text' }),
    ).rejects.toThrow(/'identifying' or 'all-text'/);
  });
});

describe('the second reading', () => {
  it('keeps a file held when text can still be read inside a box that was meant to be blanked', async () => {
    const width = 320;
    const height = 64;
    const data = new Uint8Array(width * height).fill(30);
    const box = drawText(data, width, height, 'DOE, Jane 12/03/1965', {
      x: 8,
      y: 20,
      height: 18,
      font: 'sans',
      value: 240,
    });
    const needles = identifyingNeedles(
      header([Tags.PatientName, 'PN', 'Doe^Jane'], [Tags.PatientBirthDate, 'DA', '19650312']),
    );
    const picture = { width, height, channels: 1 as const, data };
    // Not blanked: the box still shows the text.
    expect(await verifyPicture(picture, [box], needles, 'identifying')).toBe(
      'text can still be read where it was blanked',
    );
    // An identifying value readable outside any box is caught too.
    expect(await verifyPicture(picture, [], needles, 'identifying')).toMatch(/patient's details/);
    data.fill(30);
    expect(await verifyPicture(picture, [box], needles, 'identifying')).toBeNull();
  });
});

const header = (...elements: [number, 'PN' | 'DA', string][]): DicomDataset =>
  new Map(elements.map(([tag, vr, value]) => [tag, { tag, vr, value: encodeText(value, vr) }]));
