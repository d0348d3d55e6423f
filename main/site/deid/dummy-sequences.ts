// What action D means inside a sequence: Content Sequence, Graphic Annotation Sequence, Verifying
// Observer Sequence and Person Identification Code Sequence carry D in Table E.1-1. A sequence's value
// is its items, so "a non-zero length value ... consistent with the VR" keeps the items, and what is
// replaced inside them is what can identify someone: free text (Text Value), names, dates, times and
// ages; listed UIDs follow their own rows (UID, Referenced SOP Instance UID: U), so references hold.
// What makes the items mean anything identifies no one and is kept: enumerated values (CS:
// Relationship Type, Value Type, Graphic Type, Graphic Layer...), numbers, unlisted UIDs (SOP classes,
// coding schemes) and the codes of coded entries, which name concepts, not people. Replacing those too
// left an SR whose every Value Type was "ANONYMOUS", which no reader can take (dciodvfy: "Unrecognized
// enumerated value"). A code's meaning is free text a local coding scheme may fill with anything: it is
// cleaned, not kept verbatim. In Person Identification Code Sequence the code is the person's
// identifier, so there the code and its meaning are replaced too.
import type { Tag, Vr } from '../dicom/model.ts';
import { isCodeTag } from './clean-contexts.ts';
import { DUMMY, DUMMY_IDENTITY, type WalkMode } from './walk-state.ts';

const PERSON_IDENTIFICATION_CODE_SEQUENCE: Tag = 0x00401101;
const CODE_MEANING: Tag = 0x00080104;

/** VRs whose values can identify someone inside a D sequence (PN is a name wherever it is). */
const IDENTIFYING_VRS: ReadonlySet<Vr> = new Set<Vr>([
  'AE',
  'AS',
  'DA',
  'DT',
  'TM',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'UC',
  'UR',
  'UT',
]);

/** The walk mode for the items of a sequence that gets D (directly, or inside another D sequence). */
export function dummyModeFor(tag: Tag, mode: WalkMode): WalkMode {
  const identity =
    tag === PERSON_IDENTIFICATION_CODE_SEQUENCE || (mode.kind === 'dummy' && mode.codesIdentify);
  return identity ? DUMMY_IDENTITY : DUMMY;
}

/**
 * The action on an attribute Table E.1-1 does not list, inside a D sequence: D for what can identify,
 * C for a code's meaning, undefined (kept as it is) for everything else.
 */
export function unlistedInDummy(tag: Tag, vr: Vr, codesIdentify: boolean): 'D' | 'C' | undefined {
  if (tag === CODE_MEANING || isCodeTag(tag)) {
    if (codesIdentify) return 'D';
    return tag === CODE_MEANING ? 'C' : undefined;
  }
  return IDENTIFYING_VRS.has(vr) ? 'D' : undefined;
}
