// Small CT files for the batch tests, written with the codec: each with its own UIDs, a name to
// remove, and pixel data of a chosen size whose bytes say which file they came from; and a work
// folder with a helper to list what a run left in it.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import {
  buildFileMeta,
  encodeText,
  EXPLICIT_VR_LITTLE_ENDIAN,
  transferSyntaxOf,
  writeDicom,
  type DicomDataset,
  type DicomElement,
  type Tag,
  type Vr,
} from '../dicom/index.ts';

export const SECRET = new Uint8Array(32).map((_, i) => (i * 41 + 7) & 0xff);
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

const text = (tag: Tag, vr: Vr, value: string): DicomElement => ({ tag, vr, value: encodeText(value, vr) });

/** Pixel bytes that differ from file to file (and from position to position). */
export function pixelPattern(fileNumber: number, bytes: number): Uint8Array {
  const v = new Uint8Array(bytes);
  for (let i = 0; i < v.length; i++) v[i] = (i * 7 + fileNumber * 31 + (i >> 12)) & 0xff;
  return v;
}

/**
 * Writes a CT slice of series `series` with `pixelBytes` bytes of pixel data; returns its bytes. With
 * `privateBytes`, a private attribute that long (removed by de-identification) makes the header that
 * much longer than the de-identified one.
 */
export function writeCtFile(
  path: string,
  fileNumber: number,
  pixelBytes: number,
  series = 1,
  privateBytes = 0,
): Buffer {
  const sop = `1.2.826.0.1.3680043.2.1125.9.${fileNumber}`;
  const ds: DicomDataset = new Map();
  for (const e of [
    text(0x00080016, 'UI', CT_IMAGE_STORAGE),
    text(0x00080018, 'UI', sop),
    text(0x00080050, 'SH', `ACC${fileNumber}77`),
    text(0x00080060, 'CS', 'CT'),
    text(0x00100010, 'PN', `HOLLOWAY^MARGARET^${fileNumber}`),
    text(0x00100020, 'LO', 'MRN8812345'),
    text(0x0020000d, 'UI', '1.2.826.0.1.3680043.2.1125.9.1000'),
    text(0x0020000e, 'UI', `1.2.826.0.1.3680043.2.1125.9.2000${series}`),
    { tag: 0x7fe00010, vr: 'OW', value: pixelPattern(fileNumber, pixelBytes) } satisfies DicomElement,
  ]) {
    ds.set(e.tag, e);
  }
  if (privateBytes > 0) {
    ds.set(0x00090010, text(0x00090010, 'LO', 'ACME SCANNER NOTES'));
    ds.set(0x00091001, { tag: 0x00091001, vr: 'OB', value: new Uint8Array(privateBytes).fill(0x4e) });
  }
  const bytes = Buffer.concat(
    writeDicom({
      meta: buildFileMeta({
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: sop,
        transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
      }),
      dataset: ds,
      transferSyntax: transferSyntaxOf(EXPLICIT_VR_LITTLE_ENDIAN),
      hadPreamble: true,
    }),
  );
  writeFileSync(path, bytes);
  return bytes;
}

/** A fresh folder for one spec file, removed after it. */
export function workFolder(name: string): string {
  const work = mkdtempSync(join(tmpdir(), `radfed-${name}-`));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  return work;
}

/** Every file under a folder, at any depth. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}
