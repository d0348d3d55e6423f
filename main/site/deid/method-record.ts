// What the output says about its de-identification (PS3.15 E.1.1 and PS3.3 C.12.1.1.7): Patient
// Identity Removed, De-identification Method (text), De-identification Method Code Sequence (CID
// 7050, one code for the profile and one per option) and Longitudinal Temporal Information Modified.
import type { DicomDataset } from '../dicom/model.ts';
import { encodeText, Tags } from '../dicom/index.ts';
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

const text = (ds: DicomDataset, tag: number, vr: 'CS' | 'LO' | 'SH', value: string): void => {
  ds.set(tag, { tag, vr, value: encodeText(value, vr) });
};

/** Writes the four attributes into the top-level output data set, replacing any earlier record. */
export function recordMethod(ds: DicomDataset, options: readonly DeidOption[]): void {
  const chosen = Object.keys(METHOD_CODES).filter(
    (k): k is DeidOption => k !== 'basic-profile' && options.includes(k as DeidOption),
  );
  text(ds, Tags.PatientIdentityRemoved, 'CS', 'YES');
  // LO, one value per line of the method, each within LO's 64 characters.
  const method = [`RadFed ${PROFILE_EDITION} Basic Application Confidentiality Profile`, ...chosen];
  text(ds, Tags.DeidentificationMethod, 'LO', method.join('\\'));
  const items = (['basic-profile', ...chosen] as const).map((key) => {
    const [code, meaning] = METHOD_CODES[key];
    const item: DicomDataset = new Map();
    text(item, Tags.CodeValue, 'SH', code);
    text(item, Tags.CodingSchemeDesignator, 'SH', 'DCM');
    text(item, Tags.CodeMeaning, 'LO', meaning);
    return item;
  });
  ds.set(Tags.DeidentificationMethodCodeSequence, {
    tag: Tags.DeidentificationMethodCodeSequence,
    vr: 'SQ',
    items,
  });
  text(ds, Tags.LongitudinalTemporalInformationModified, 'CS', longitudinalOf(new Set(options)));
}
