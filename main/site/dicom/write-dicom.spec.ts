// The writer's encoding choices, checked byte by byte and through dcmdump.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFileMeta, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './file-meta.ts';
import type { DicomDataset, DicomFile, TransferSyntax } from './model.ts';
import { parseDicom } from './parse-dicom.ts';
import { Tags } from './tags.ts';
import * as TS from './transfer-syntax.ts';
import { encodeNumbers, getString, readNumbers, setString } from './values.ts';
import { writeDicom } from './write-dicom.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';

function ctFile(ts: TransferSyntax, pixels: Uint8Array): DicomFile {
  const dataset: DicomDataset = new Map();
  // Inserted out of order on purpose: the writer sorts.
  dataset.set(Tags.PixelData, { tag: Tags.PixelData, vr: 'OW', value: pixels });
  setString(dataset, Tags.PatientName, 'PN', 'DOE^JO'); // even
  setString(dataset, Tags.PatientID, 'LO', 'ABC'); // odd: padded with a space
  setString(dataset, Tags.SOPInstanceUID, 'UI', '2.25.1234'); // odd: padded with NUL
  setString(dataset, Tags.SOPClassUID, 'UI', CT);
  setString(dataset, Tags.Modality, 'CS', 'CT');
  dataset.set(Tags.Rows, { tag: Tags.Rows, vr: 'US', value: encodeNumbers([2], 'US', ts) });
  dataset.set(Tags.Columns, { tag: Tags.Columns, vr: 'US', value: encodeNumbers([2], 'US', ts) });
  const item: DicomDataset = new Map();
  setString(item, Tags.CodeValue, 'SH', '113100');
  dataset.set(Tags.DeidentificationMethodCodeSequence, {
    tag: Tags.DeidentificationMethodCodeSequence,
    vr: 'SQ',
    items: [item, new Map()],
  });
  dataset.set(Tags.OtherPatientIDsSequence, { tag: Tags.OtherPatientIDsSequence, vr: 'SQ', items: [] });
  const meta = buildFileMeta({ sopClassUid: CT, sopInstanceUid: '2.25.1234', transferSyntaxUid: ts.uid });
  return { meta, dataset, transferSyntax: ts, hadPreamble: true };
}

const dir = mkdtempSync(join(tmpdir(), 'radfed-dicom-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeDicom', () => {
  const pixels = Uint8Array.from([1, 0, 2, 0, 3, 0, 4, 0]);

  it('writes preamble, DICM and a meta group whose group length counts its bytes', () => {
    const bytes = Buffer.concat(
      writeDicom(ctFile(TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN), pixels)),
    );
    expect(bytes.subarray(0, 128).every((b) => b === 0)).toBe(true);
    expect(bytes.toString('latin1', 128, 132)).toBe('DICM');
    const groupLength = bytes.readUInt32LE(140);
    // The first data set element (0008,0016) starts right after the meta group.
    expect(bytes.readUInt16LE(144 + groupLength)).toBe(0x0008);
    // ...and the meta group's last element, (0002,0013), ends exactly there.
    const last = 144 + groupLength - 8 - IMPLEMENTATION_VERSION_NAME.length;
    expect([bytes.readUInt16LE(last), bytes.readUInt16LE(last + 2)]).toEqual([0x0002, 0x0013]);
  });

  it('pads odd values (space for text, NUL for UI) and sorts elements at every level', () => {
    const ts = TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN);
    const bytes = Buffer.concat(writeDicom(ctFile(ts, pixels)));
    expect(bytes.includes(Buffer.from('ABC '))).toBe(true);
    expect(bytes.includes(Buffer.from('2.25.1234\0'))).toBe(true);
    const back = parseDicom(bytes);
    expect([...back.dataset.keys()]).toEqual([...back.dataset.keys()].sort((a, b) => a - b));
    expect(getString(back.dataset, Tags.PatientID)).toBe('ABC');
    expect(back.dataset.get(Tags.PatientID)?.value?.length).toBe(4);
  });

  for (const uid of [
    TS.EXPLICIT_VR_LITTLE_ENDIAN,
    TS.IMPLICIT_VR_LITTLE_ENDIAN,
    TS.EXPLICIT_VR_BIG_ENDIAN,
    TS.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  ]) {
    it(`writes ${uid} that reads back the same and that dcmdump accepts`, () => {
      const ts = TS.transferSyntaxOf(uid);
      const file = ctFile(ts, pixels);
      const chunks = writeDicom(file);
      const path = join(dir, `ct-${uid}.dcm`);
      writeFileSync(path, Buffer.concat(chunks));
      const back = parseDicom(Buffer.concat(chunks));
      expect(back.transferSyntax).toEqual(ts);
      expect(getString(back.meta, Tags.TransferSyntaxUID)).toBe(uid);
      expect(readNumbers(back.dataset.get(Tags.Rows) ?? { tag: 0, vr: 'US' }, ts)).toEqual([2]);
      expect(Buffer.from(back.dataset.get(Tags.PixelData)?.value ?? []).equals(pixels)).toBe(true);
      const seq = back.dataset.get(Tags.DeidentificationMethodCodeSequence);
      expect(seq?.items?.length).toBe(2);
      expect(getString(seq?.items?.[0] ?? new Map(), Tags.CodeValue)).toBe('113100');
      expect(back.dataset.get(Tags.OtherPatientIDsSequence)?.items).toEqual([]);
      const dump = execFileSync('/usr/bin/dcmdump', ['+L', path], { encoding: 'utf8' });
      expect(dump).toContain('[DOE^JO]');
      expect(dump).toContain('113100');
    });
  }

  it('deflates the data set with raw deflate', () => {
    const chunks = writeDicom(ctFile(TS.transferSyntaxOf(TS.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN), pixels));
    const last = chunks[chunks.length - 1] as Buffer;
    expect(inflateRawSync(last).includes(Buffer.from('DOE^JO'))).toBe(true);
  });

  it('passes large values on as views of the caller memory, not copies', () => {
    const big = new Uint8Array(512 * 512 * 2);
    const chunks = writeDicom(ctFile(TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN), big));
    const chunk = chunks.find((c) => c.length === big.length);
    expect(chunk?.buffer).toBe(big.buffer);
  });

  it('writes a short-VR value over 64 KiB as UN with a 4-byte length (PS3.5 6.2.2)', () => {
    const file = ctFile(TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN), pixels);
    setString(file.dataset, Tags.ImageComments, 'LT', 'x'.repeat(70_000));
    const back = parseDicom(Buffer.concat(writeDicom(file)));
    const el = back.dataset.get(Tags.ImageComments);
    // Read back through the dictionary (UN of a known tag takes the known VR).
    expect(el?.vr).toBe('LT');
    expect(el?.value?.length).toBe(70_000);
  });

  it('emits encapsulated pixel data verbatim with undefined length', () => {
    const ts = TS.transferSyntaxOf(TS.JPEG_BASELINE);
    const file = ctFile(ts, pixels);
    const fragments = Buffer.from([
      0xfe,
      0xff,
      0x00,
      0xe0,
      0,
      0,
      0,
      0, // empty basic offset table
      0xfe,
      0xff,
      0x00,
      0xe0,
      4,
      0,
      0,
      0,
      0xff,
      0xd8,
      0xff,
      0xd9,
      0xfe,
      0xff,
      0xdd,
      0xe0,
      0,
      0,
      0,
      0,
    ]);
    file.dataset.set(Tags.PixelData, { tag: Tags.PixelData, vr: 'OB', encapsulated: fragments });
    const bytes = Buffer.concat(writeDicom(file));
    const at = bytes.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    expect(at).toBeGreaterThan(0);
    expect(bytes.subarray(at + 12).equals(fragments)).toBe(true);
    expect(
      Buffer.from(parseDicom(bytes).dataset.get(Tags.PixelData)?.encapsulated ?? []).equals(fragments),
    ).toBe(true);
  });

  it('fills a missing meta group from the data set and always states the real transfer syntax', () => {
    const file = ctFile(TS.transferSyntaxOf(TS.IMPLICIT_VR_LITTLE_ENDIAN), pixels);
    file.meta = new Map();
    const back = parseDicom(Buffer.concat(writeDicom(file)));
    expect(getString(back.meta, Tags.TransferSyntaxUID)).toBe(TS.IMPLICIT_VR_LITTLE_ENDIAN);
    expect(getString(back.meta, Tags.MediaStorageSOPClassUID)).toBe(CT);
    expect(getString(back.meta, Tags.MediaStorageSOPInstanceUID)).toBe('2.25.1234');
    expect(getString(back.meta, Tags.ImplementationClassUID)).toBe(IMPLEMENTATION_CLASS_UID);
    expect([...(back.meta.get(Tags.FileMetaInformationVersion)?.value ?? [])]).toEqual([0, 1]);
  });

  it('drops data set group lengths and stray group 0002 elements', () => {
    const file = ctFile(TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN), pixels);
    file.dataset.set(0x00080000, {
      tag: 0x00080000,
      vr: 'UL',
      value: encodeNumbers([999], 'UL', file.transferSyntax),
    });
    setString(file.dataset, Tags.TransferSyntaxUID, 'UI', '1.2.3');
    const back = parseDicom(Buffer.concat(writeDicom(file)));
    expect(back.dataset.has(0x00080000)).toBe(false);
    expect(back.dataset.has(Tags.TransferSyntaxUID)).toBe(false);
    expect(getString(back.meta, Tags.TransferSyntaxUID)).toBe(TS.EXPLICIT_VR_LITTLE_ENDIAN);
  });
});

describe('buildFileMeta', () => {
  it('uses a 2.25 implementation UID that is a valid UID', () => {
    expect(IMPLEMENTATION_CLASS_UID).toMatch(/^2\.25\.[1-9][0-9]*$/);
    expect(IMPLEMENTATION_CLASS_UID.length).toBeLessThanOrEqual(64);
    expect(BigInt(IMPLEMENTATION_CLASS_UID.slice(5))).toBeLessThan(2n ** 128n);
    const meta = buildFileMeta({
      sopClassUid: CT,
      sopInstanceUid: '2.25.9',
      transferSyntaxUid: TS.RLE_LOSSLESS,
    });
    expect(getString(meta, Tags.ImplementationVersionName)).toBe('RADFED_0_1');
    expect(getString(meta, Tags.TransferSyntaxUID)).toBe(TS.RLE_LOSSLESS);
    expect([...meta.keys()].every((t) => t >>> 16 === 2)).toBe(true);
  });
});
