// Value representations (PS3.5 6.2): which exist, which take the 4-byte length form in explicit VR
// (PS3.5 7.1.2), and how odd-length values are padded (PS3.5 6.2: space for text, NUL otherwise).
import type { Vr } from './model.ts';

const ALL_VRS: readonly Vr[] = [
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
];

/** VRs keyed by their two ASCII bytes as one number (first byte high), for a lookup without strings. */
const VR_BY_CODE = new Map<number, Vr>(ALL_VRS.map((vr) => [(vr.charCodeAt(0) << 8) | vr.charCodeAt(1), vr]));

export const LONG_VRS: ReadonlySet<Vr> = new Set<Vr>([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'UC',
  'UN',
  'UR',
  'UT',
  'SV',
  'UV',
]);

/** Character-string VRs: padded with a trailing space (UI is padded with NUL instead). */
export const TEXT_VRS: ReadonlySet<Vr> = new Set<Vr>([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UC',
  'UR',
  'UT',
]);

export const vrFromBytes = (b0: number, b1: number): Vr | undefined => VR_BY_CODE.get((b0 << 8) | b1);

// The parser's lookup, once per element: VRs are two upper-case letters, so a 26×26 table indexed by
// them answers without hashing (a Map and a Set lookup cost a fifth of the parse).
const VR_AT: (Vr | undefined)[] = new Array<Vr | undefined>(26 * 26).fill(undefined);
const LONG_AT = new Uint8Array(26 * 26);
for (const vr of ALL_VRS) {
  const at = (vr.charCodeAt(0) - 0x41) * 26 + (vr.charCodeAt(1) - 0x41);
  VR_AT[at] = vr;
  LONG_AT[at] = LONG_VRS.has(vr) ? 1 : 0;
}

/** The table index of two bytes that spell upper-case letters, -1 otherwise (see vrAt, isLongAt). */
export const vrIndexOf = (b0: number, b1: number): number =>
  b0 >= 0x41 && b0 <= 0x5a && b1 >= 0x41 && b1 <= 0x5a ? (b0 - 0x41) * 26 + (b1 - 0x41) : -1;
/** The VR at a table index from vrIndexOf, undefined when those letters are not a VR. */
export const vrAt = (index: number): Vr | undefined => VR_AT[index];
/** Whether the VR at a table index takes the 4-byte length form in explicit VR (PS3.5 7.1.2). */
export const isLongAt = (index: number): boolean => LONG_AT[index] === 1;

export const isVr = (s: string): s is Vr =>
  s.length === 2 && VR_BY_CODE.has((s.charCodeAt(0) << 8) | s.charCodeAt(1));

export const padByteOf = (vr: Vr): number => (TEXT_VRS.has(vr) ? 0x20 : 0x00);
