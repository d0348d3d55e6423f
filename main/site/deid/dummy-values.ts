// Dummy values for Table E.1-1 action D: "a non-zero length value that may be a dummy value and
// consistent with the VR". Fixed values, the same everywhere, so they carry nothing about anyone.
import { latin1Bytes } from '../dicom/index.ts';
import type { Vr } from '../dicom/index.ts';

/** Text dummies per VR, each valid for its VR's character set and length limit (PS3.5 6.2). */
const TEXT_DUMMY: Partial<Record<Vr, string>> = {
  AE: 'ANONYMOUS',
  AS: '000Y',
  CS: 'ANONYMOUS',
  DA: '19000101',
  DS: '0',
  DT: '19000101000000',
  IS: '0',
  LO: 'ANONYMOUS',
  LT: 'ANONYMOUS',
  PN: 'ANONYMOUS',
  SH: 'ANONYMOUS',
  ST: 'ANONYMOUS',
  TM: '000000',
  UC: 'ANONYMOUS',
  UR: 'urn:anonymous',
  UT: 'ANONYMOUS',
};

/** Binary dummies: zeros, one value wide (byte order does not matter for zero). */
const BINARY_WIDTH: Partial<Record<Vr, number>> = {
  AT: 4,
  FD: 8,
  FL: 4,
  OB: 2,
  OD: 8,
  OF: 4,
  OL: 4,
  OV: 8,
  OW: 2,
  SL: 4,
  SS: 2,
  SV: 8,
  UL: 4,
  UN: 2,
  US: 2,
  UV: 8,
};

/** The dummy text of a string VR, or undefined for binary VRs, UI (see remapUid) and SQ. */
export const dummyText = (vr: Vr): string | undefined => TEXT_DUMMY[vr];

/** ASCII text as value bytes, padded to even length (space; NUL for UI: PS3.5 6.2). */
export function asciiValue(text: string, vr: Vr): Uint8Array {
  return latin1Bytes(text, text.length + (text.length & 1), vr === 'UI' ? 0 : 0x20);
}

/** The dummies' bytes, made once per VR and shared by every output (values are never written to). */
const dummyBytes = new Map<Vr, Uint8Array>();

/** Value bytes of the dummy for a non-sequence, non-UI VR. */
export function dummyValue(vr: Vr): Uint8Array {
  let bytes = dummyBytes.get(vr);
  if (bytes === undefined) {
    const text = TEXT_DUMMY[vr];
    bytes = text !== undefined ? asciiValue(text, vr) : new Uint8Array(BINARY_WIDTH[vr] ?? 2);
    dummyBytes.set(vr, bytes);
  }
  return bytes;
}

const DUMMY_TEXTS: ReadonlySet<string> = new Set(Object.values(TEXT_DUMMY));

/** Whether the dummy's text equals `text` (so a dummied value is not reported as a surviving one). */
export const isDummyText = (text: string): boolean => DUMMY_TEXTS.has(text);
