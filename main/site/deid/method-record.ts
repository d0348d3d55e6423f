// What the output says about its de-identification (PS3.15 E.1.1 and PS3.3 C.12.1.1.7): Patient
// Identity Removed, De-identification Method (text), De-identification Method Code Sequence (CID
// 7050, one code for the profile and one per option) and Longitudinal Temporal Information Modified.
import type { DicomDataset } from '../dicom/index.ts';
import { encodeText, getString, readStrings, Tags } from '../dicom/index.ts';
import type { DeidOption } from './deid-options.ts';

export const PROFILE_EDITION = 'PS3.15 2026a';

/** CID 7050 De-identification Method codes (DCM). */
export const METHOD_CODES: Readonly<Record<DeidOption | 'basic-profile', readonly [string, string]>> = {
  'basic-profile': ['113100', 'Basic Application Confidentiality Profile'],
  'clean-graphics': ['113103', 'Clean Graphics Option'],
  'clean-structured-content': ['113104', 'Clean Structured Content Option'],
  'clean-descriptors': ['113105', 'Clean Descriptors Option'],
  'retain-long-full-dates': ['113106', 'Retain Longitudinal Temporal Information Full Dates Option'],
  'retain-long-modified-dates': ['113107', 'Retain Longitudinal Temporal Information Modified Dates Option'],
  'retain-patient-characteristics': ['113108', 'Retain Patient Characteristics Option'],
  'retain-device-identity': ['113109', 'Retain Device Identity Option'],
  'retain-uids': ['113110', 'Retain UIDs Option'],
  'retain-safe-private': ['113111', 'Retain Safe Private Option'],
  'retain-institution-identity': ['113112', 'Retain Institution Identity Option'],
};

export type LongitudinalTemporalInformation = 'MODIFIED' | 'UNMODIFIED' | 'REMOVED';

export function longitudinalOf(options: ReadonlySet<DeidOption>): LongitudinalTemporalInformation {
  if (options.has('retain-long-modified-dates')) return 'MODIFIED';
  if (options.has('retain-long-full-dates')) return 'UNMODIFIED';
  return 'REMOVED';
}

interface EncodedRecord {
  method: Uint8Array;
  codes: { value: Uint8Array; meaning: Uint8Array }[];
  longitudinal: Uint8Array;
}

const YES = encodeText('YES', 'CS');
const DCM = encodeText('DCM', 'SH');
/** The encoded record per option list: the same in every file of a run (values are never written to). */
const encoded = new Map<string, EncodedRecord>();

function encodeRecord(options: readonly DeidOption[]): EncodedRecord {
  const key = options.join(',');
  let record = encoded.get(key);
  if (record) return record;
  const chosen = Object.keys(METHOD_CODES).filter(
    (k): k is DeidOption => k !== 'basic-profile' && options.includes(k as DeidOption),
  );
  // LO, one value per line of the method, each within LO's 64 characters.
  const method = [`RadFed ${PROFILE_EDITION} Basic Application Confidentiality Profile`, ...chosen];
  record = {
    method: encodeText(method.join('\\'), 'LO'),
    codes: (['basic-profile', ...chosen] as const).map((k) => {
      const [code, meaning] = METHOD_CODES[k];
      return { value: encodeText(code, 'SH'), meaning: encodeText(meaning, 'LO') };
    }),
    longitudinal: encodeText(longitudinalOf(new Set(options)), 'CS'),
  };
  if (encoded.size >= 64) encoded.clear();
  encoded.set(key, record);
  return record;
}

const set = (ds: DicomDataset, tag: number, vr: 'CS' | 'LO' | 'SH', value: Uint8Array): void => {
  ds.set(tag, { tag, vr, value });
};

/** Clean Pixel Data Option (CID 7050): recorded by the burned-in text cleaning, before this engine runs. */
const CLEAN_PIXEL_DATA = '113101';

/**
 * The earlier record of pixel cleaning (main/site/burned-in), which this engine's record extends:
 * the method lines that name it and its 113101 code items.
 */
function earlierPixelCleaning(ds: DicomDataset): { lines: string[]; items: DicomDataset[] } {
  const items = (ds.get(Tags.DeidentificationMethodCodeSequence)?.items ?? []).filter(
    (item) => (getString(item, Tags.CodeValue) ?? '').trim() === CLEAN_PIXEL_DATA,
  );
  if (items.length === 0) return { lines: [], items };
  const method = ds.get(Tags.DeidentificationMethod);
  const lines = method?.value ? readStrings(method).filter((l) => /burned-in text/i.test(l)) : [];
  return { lines, items };
}

/**
 * Writes the four attributes into the top-level output data set, replacing any earlier record
 * except an earlier pixel cleaning's, which is kept.
 */
export function recordMethod(ds: DicomDataset, options: readonly DeidOption[]): void {
  const record = encodeRecord(options);
  const earlier = earlierPixelCleaning(ds);
  set(ds, Tags.PatientIdentityRemoved, 'CS', YES);
  const method =
    earlier.lines.length === 0
      ? record.method
      : encodeText(
          [...readStrings({ tag: 0, vr: 'LO', value: record.method }), ...earlier.lines].join('\\'),
          'LO',
        );
  set(ds, Tags.DeidentificationMethod, 'LO', method);
  const items = record.codes.map(({ value, meaning }) => {
    const item: DicomDataset = new Map();
    set(item, Tags.CodeValue, 'SH', value);
    set(item, Tags.CodingSchemeDesignator, 'SH', DCM);
    set(item, Tags.CodeMeaning, 'LO', meaning);
    return item;
  });
  ds.set(Tags.DeidentificationMethodCodeSequence, {
    tag: Tags.DeidentificationMethodCodeSequence,
    vr: 'SQ',
    items: [...items, ...earlier.items],
  });
  set(ds, Tags.LongitudinalTemporalInformationModified, 'CS', record.longitudinal);
}
