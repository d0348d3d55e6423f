// Builders for the de-identification tests: data sets made directly with the shared model (text
// values as latin1 bytes), files written with the codec, and a flat view of a data set for diffs.
import type { DicomDataset, DicomElement, DicomFile, Tag, Vr } from '../dicom/index.ts';
import {
  buildFileMeta,
  EXPLICIT_VR_LITTLE_ENDIAN,
  formatTag,
  parseDicom,
  readString,
  transferSyntaxOf,
  writeDicom,
} from '../dicom/index.ts';
import { asciiValue } from './dummy-values.ts';

export const SECRET = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
export const OTHER_SECRET = new Uint8Array(32).map((_, i) => (i * 53 + 5) & 0xff);

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const US_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.6.1';
export const SC_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';
export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';

export const el = (tag: Tag, vr: Vr, value: string): DicomElement => ({
  tag,
  vr,
  value: asciiValue(value, vr),
});
export const seq = (tag: Tag, ...items: DicomElement[][]): DicomElement => ({
  tag,
  vr: 'SQ',
  items: items.map((elements) => dataset(...elements)),
});
export const dataset = (...elements: DicomElement[]): DicomDataset =>
  new Map(elements.map((e) => [e.tag, e]));

/** Three unlisted sequences (kept, items processed) that put an element 3 levels deep. */
export const NEST_PATH: readonly Tag[] = [0x00081115, 0x00081199, 0x0008114a];
export const nest3 = (inner: DicomElement): DicomElement =>
  seq(NEST_PATH[0] as Tag, [seq(NEST_PATH[1] as Tag, [seq(NEST_PATH[2] as Tag, [inner])])]);

/** The element at `path` (sequence tags, first item each) and `tag` in a data set. */
export function at(ds: DicomDataset, path: readonly Tag[], tag: Tag): DicomElement | undefined {
  let cur: DicomDataset | undefined = ds;
  for (const t of path) cur = cur?.get(t)?.items?.[0];
  return cur?.get(tag);
}

export const text = (e: DicomElement | undefined): string | undefined => (e ? readString(e) : undefined);

/** 16 x 16 16-bit pixels with a recognisable pattern. */
export const pixels = (n = 16 * 16): DicomElement => {
  const v = new Uint8Array(n * 2);
  for (let i = 0; i < v.length; i++) v[i] = (i * 7 + 3) & 0xff;
  return { tag: 0x7fe00010, vr: 'OW', value: v };
};

/** A minimal CT image header around the given elements. */
export function ctDataset(
  extra: DicomElement[] = [],
  ids: Partial<Record<'study' | 'series' | 'sop' | 'patient', string>> = {},
): DicomDataset {
  return dataset(
    el(0x00080016, 'UI', CT_IMAGE_STORAGE),
    el(0x00080018, 'UI', ids.sop ?? '1.2.826.0.1.3680043.2.1125.1.1001'),
    el(0x00080060, 'CS', 'CT'),
    el(0x00100010, 'PN', 'SMITHERSON^JOHANNA^Q'),
    el(0x00100020, 'LO', ids.patient ?? 'MRN4471922'),
    el(0x0020000d, 'UI', ids.study ?? '1.2.826.0.1.3680043.2.1125.1.2001'),
    el(0x0020000e, 'UI', ids.series ?? '1.2.826.0.1.3680043.2.1125.1.3001'),
    el(0x00280010, 'US', '\u0010\u0000'),
    pixels(),
    ...extra,
  );
}

export function fileOf(ds: DicomDataset, tsUid = EXPLICIT_VR_LITTLE_ENDIAN): DicomFile {
  const sopClassUid = ds.get(0x00080016) ? readString(ds.get(0x00080016) as DicomElement) : CT_IMAGE_STORAGE;
  const sopInstanceUid = ds.get(0x00080018) ? readString(ds.get(0x00080018) as DicomElement) : '';
  return {
    meta: buildFileMeta({ sopClassUid, sopInstanceUid, transferSyntaxUid: tsUid }),
    dataset: ds,
    transferSyntax: transferSyntaxOf(tsUid),
    hadPreamble: true,
  };
}

export const bytesOf = (ds: DicomDataset, tsUid?: string): Buffer =>
  Buffer.concat(writeDicom(fileOf(ds, tsUid)));

export const reparse = (chunks: readonly Buffer[]): DicomFile =>
  parseDicom(Buffer.concat(chunks as Buffer[]));

/** Every element at every depth as "path → VR:value" (latin1, binary as hex), for diffs between outputs. */
export function flatten(ds: DicomDataset, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of ds.values()) {
    const key = `${prefix}${formatTag(e.tag)}`;
    if (e.items) {
      out.set(key, `SQ:${e.items.length}`);
      e.items.forEach((item, i) => {
        for (const [k, v] of flatten(item, `${key}[${i}]`)) out.set(k, v);
      });
    } else {
      out.set(key, `${e.vr}:${e.value ? Buffer.from(e.value).toString('latin1') : ''}`);
    }
  }
  return out;
}

/** The keys whose value differs (or that exist in only one of the two). */
export function changedKeys(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}
