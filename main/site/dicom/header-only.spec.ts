// Parsing a file from its first bytes (ParseOptions.fileSize), and writing it back padded to the
// source's header length: the codec's side of de-identifying a file without reading its pixel data.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DicomParseError, DicomWriteError } from './errors.ts';
import { buildFileMeta, IMPLEMENTATION_CLASS_UID } from './file-meta.ts';
import type { DicomDataset, DicomFile, TransferSyntax } from './model.ts';
import { parseDicom } from './parse-dicom.ts';
import { Tags } from './tags.ts';
import * as TS from './transfer-syntax.ts';
import { setString } from './values.ts';
import { writeDicom } from './write-dicom.ts';
import { pydicomCheck } from './test-support.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const work = mkdtempSync(join(tmpdir(), 'radfed-header-only-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pixels = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 13 + (i >> 8)) & 0xff);

function ctFile(ts: TransferSyntax, pixelBytes: number, comment = 'NOTE'): DicomFile {
  const dataset: DicomDataset = new Map();
  setString(dataset, Tags.SOPClassUID, 'UI', CT);
  setString(dataset, Tags.SOPInstanceUID, 'UI', '2.25.99');
  setString(dataset, Tags.PatientName, 'PN', 'DOE^JO');
  setString(dataset, Tags.ImageComments, 'LT', comment);
  dataset.set(Tags.PixelData, { tag: Tags.PixelData, vr: 'OW', value: pixels(pixelBytes) });
  const meta = buildFileMeta({ sopClassUid: CT, sopInstanceUid: '2.25.99', transferSyntaxUid: ts.uid });
  return { meta, dataset, transferSyntax: ts, hadPreamble: true };
}

const bytesOf = (file: DicomFile): Buffer => Buffer.concat(writeDicom(file));

describe('parsing a file from its first bytes', () => {
  for (const uid of [TS.EXPLICIT_VR_LITTLE_ENDIAN, TS.IMPLICIT_VR_LITTLE_ENDIAN, TS.EXPLICIT_VR_BIG_ENDIAN]) {
    it(`leaves the pixel data that ends the file unread (${uid})`, () => {
      const whole = bytesOf(ctFile(TS.transferSyntaxOf(uid), 40_000));
      const head = whole.subarray(0, 1_000);
      const file = parseDicom(head, { fileSize: whole.length });
      const pixel = file.dataset.get(Tags.PixelData);
      expect(pixel?.value).toBeUndefined();
      expect(pixel?.deferred).toEqual({ offset: whole.length - 40_000, length: 40_000 });
      expect(file.dataset.get(Tags.PatientName)?.value).toEqual(
        parseDicom(whole).dataset.get(Tags.PatientName)?.value,
      );
    });
  }

  it('gives the whole file as usual when the first bytes are all of it', () => {
    const whole = bytesOf(ctFile(TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN), 100));
    const file = parseDicom(whole, { fileSize: whole.length });
    expect(file.dataset.get(Tags.PixelData)?.value?.length).toBe(100);
  });

  // Any parse error will do: the caller then reads the whole file, which gives the real outcome.
  const refused = (head: Uint8Array, fileSize: number): void => {
    expect(() => parseDicom(head, { fileSize })).toThrow(DicomParseError);
  };

  it('refuses bytes that end before the pixel data, even on an element boundary', () => {
    const file = ctFile(TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN), 40_000, 'X'.repeat(3_000));
    const whole = bytesOf(file);
    refused(whole.subarray(0, 600), whole.length);
    // Cut right after Image Comments, the element before Pixel Data: nothing says what follows.
    const pixelHeader = whole.length - 40_000 - 12;
    refused(whole.subarray(0, pixelHeader), whole.length);
  });

  it('refuses when something follows the pixel data, or when the data set is deflated', () => {
    const ts = TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN);
    const file = ctFile(ts, 40_000);
    file.dataset.set(0xfffcfffc, { tag: 0xfffcfffc, vr: 'OB', value: new Uint8Array(4) });
    const padded = bytesOf(file);
    refused(padded.subarray(0, 1_000), padded.length);
    const deflated = bytesOf(ctFile(TS.transferSyntaxOf(TS.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN), 40_000));
    refused(deflated.subarray(0, 400), deflated.length + 1);
  });
});

describe('writing a header for pixel data that stays in the source', () => {
  const ts = TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN);

  it('pads the meta group so the new header is exactly as long as the old one, and pydicom and dcmdump read it', () => {
    const source = bytesOf(ctFile(ts, 40_000, 'A LONG COMMENT THAT GOES '.repeat(40)));
    const parsed = parseDicom(source.subarray(0, 2_000), { fileSize: source.length });
    const headerLength = parsed.dataset.get(Tags.PixelData)?.deferred?.offset as number;
    parsed.dataset.delete(Tags.ImageComments);
    const chunks = writeDicom(parsed, { headerLength });
    const header = Buffer.concat(chunks);
    expect(header.length).toBe(headerLength);
    const output = Buffer.concat([header, source.subarray(headerLength)]);
    const reread = parseDicom(output);
    expect(reread.meta.get(0x00020102)?.value?.every((b) => b === 0)).toBe(true);
    expect(Buffer.from(reread.meta.get(0x00020100)?.value ?? []).toString('latin1')).toBe(
      IMPLEMENTATION_CLASS_UID,
    );
    expect(reread.dataset.has(Tags.ImageComments)).toBe(false);
    expect(Buffer.from(reread.dataset.get(Tags.PixelData)?.value ?? []).equals(pixels(40_000))).toBe(true);

    const written = join(work, 'padded.dcm');
    const original = join(work, 'original.dcm');
    writeFileSync(written, output);
    const expected = ctFile(ts, 40_000);
    expected.dataset.delete(Tags.ImageComments);
    writeFileSync(original, bytesOf(expected));
    const [verdict] = pydicomCheck([[original, written]]);
    expect(verdict).toMatchObject({ pixel: true, diffs: [] });
    const dump = execFileSync('/usr/bin/dcmdump', ['+L', written], { encoding: 'utf8' });
    expect(dump).toContain('(0002,0102) OB');
    expect(dump).toContain('(7fe0,0010) OW');
  });

  it('leaves the header unpadded when it is longer, or too little shorter to hold the padding', () => {
    const source = bytesOf(ctFile(ts, 40_000));
    const parsed = parseDicom(source.subarray(0, 2_000), { fileSize: source.length });
    const headerLength = parsed.dataset.get(Tags.PixelData)?.deferred?.offset as number;
    const plain = Buffer.concat(writeDicom(parsed));
    for (const target of [headerLength, plain.length - 2, plain.length + 10]) {
      const header = Buffer.concat(writeDicom(parsed, { headerLength: target }));
      expect(header.equals(plain)).toBe(true);
    }
    setString(parsed.dataset, Tags.StudyDescription, 'LO', 'LONGER NOW');
    expect(Buffer.concat(writeDicom(parsed, { headerLength })).length).toBeGreaterThan(headerLength);
  });

  it('refuses an element after the pixel data that stays in the source', () => {
    const file = ctFile(ts, 10);
    file.dataset.set(Tags.PixelData, {
      tag: Tags.PixelData,
      vr: 'OW',
      deferred: { offset: 500, length: 10 },
    });
    file.dataset.set(0xfffcfffc, { tag: 0xfffcfffc, vr: 'OB', value: new Uint8Array(2) });
    expect(() => writeDicom(file)).toThrow(DicomWriteError);
  });
});
