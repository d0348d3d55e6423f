// The state of one file's de-identification walk: the settings compiled for it, the patient's
// pseudonym and date offset, what was removed (for cleaning and verification), the free text waiting
// to be cleaned once everything removed is known, and the count of each action applied.
import type { DicomDataset, DicomElement, Vr } from '../dicom/index.ts';
import { keywordOf, readString, vrOf } from '../dicom/index.ts';
import type { RuleBook } from './action-resolution.ts';
import type { CleanContext } from './clean-contexts.ts';
import { identifierKind, RemovedValues } from './removed-values.ts';

/**
 * How the items of a sequence are walked: by their own rows (normal), inside a sequence whose action
 * is D (dummy: see dummy-sequences.ts; `codesIdentify` inside Person Identification Code Sequence,
 * whose code is a person's identifier), or inside a sequence whose action is C (clean).
 */
export type WalkMode =
  { kind: 'normal' } | { kind: 'dummy'; codesIdentify: boolean } | { kind: 'clean'; context: CleanContext };

export const NORMAL: WalkMode = { kind: 'normal' };
export const DUMMY: WalkMode = { kind: 'dummy', codesIdentify: false };
export const DUMMY_IDENTITY: WalkMode = { kind: 'dummy', codesIdentify: true };

export interface PendingText {
  owner: DicomDataset;
  el: DicomElement;
  vr: Vr;
}

export interface WalkState {
  secret: Uint8Array;
  book: RuleBook;
  /** The patient pseudonym of this file (replaces Patient Name and the top-level Patient ID). */
  pseudonym: string;
  /** Days added to every date under Retain Modified Dates; undefined otherwise. */
  dateOffset: number | undefined;
  /** The input's SOP Class UID: which modules, and so which Types, its top level has. */
  sopClassUid: string;
  removed: RemovedValues;
  pending: PendingText[];
  actions: Record<string, number>;
}

export const count = (state: WalkState, code: string): void => {
  state.actions[code] = (state.actions[code] ?? 0) + 1;
};

/**
 * The VR to reason with: the dictionary's when a standard attribute arrived as UN (explicit UN, or
 * an unknown VR in the file), so a Patient Name sent as UN is still treated as a name.
 */
export function effectiveVr(el: DicomElement): Vr {
  if (el.vr !== 'UN' || ((el.tag >>> 16) & 1) === 1) return el.vr;
  const vr = vrOf(el.tag);
  return vr === 'UN' ? 'UN' : vr;
}

const BINARY_VRS: ReadonlySet<Vr> = new Set<Vr>([
  'AT',
  'FD',
  'FL',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SL',
  'SS',
  'SV',
  'UL',
  'UN',
  'US',
  'UV',
]);
export const isBinaryVr = (vr: Vr): boolean => BINARY_VRS.has(vr);

/** Records the identifying values of an element that is being removed or replaced (and of its items). */
export function collectRemoved(state: WalkState, el: DicomElement, name?: string): void {
  const vr = effectiveVr(el);
  if (el.items) {
    for (const item of el.items) for (const child of item.values()) collectRemoved(state, child);
    return;
  }
  if (!el.value || el.value.length === 0 || isBinaryVr(vr)) return;
  const kind = identifierKind(el.tag, vr, name ?? keywordOf(el.tag) ?? '');
  if (kind) state.removed.add(kind, readString(el));
}

/** Records a value an option keeps on purpose, so seeing it in the output is not reported as a leak. */
export function recordRetained(state: WalkState, el: DicomElement): void {
  const vr = effectiveVr(el);
  if (!el.value || isBinaryVr(vr)) return;
  state.removed.retain(vr, readString(el));
}

export const withValue = (el: DicomElement, vr: Vr, value: Uint8Array): DicomElement => ({
  tag: el.tag,
  vr,
  value,
});

export const newState = (
  secret: Uint8Array,
  book: RuleBook,
  pseudonym: string,
  dateOffset: number | undefined,
  sopClassUid = '',
): WalkState => ({
  secret,
  sopClassUid,
  book,
  pseudonym,
  dateOffset,
  removed: new RemovedValues(),
  pending: [],
  actions: {},
});
