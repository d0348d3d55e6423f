// What action D means inside a sequence: Content Sequence, Graphic Annotation Sequence, Verifying
// Observer Sequence and Person Identification Code Sequence carry D in Table E.1-1. A sequence's value
// is its items, so "a non-zero length value ... consistent with the VR" keeps the items, and what is
// replaced inside them is what can identify someone: free text (Text Value), names, dates, times and
// ages; listed UIDs follow their own rows (UID, Referenced SOP Instance UID: U), so references hold.
// What makes the items mean anything identifies no one and is kept: enumerated values (CS:
// Relationship Type, Value Type, Graphic Type, Graphic Layer...), numbers, unlisted UIDs (SOP classes,
// coding schemes) and the codes of coded entries (Code Value, Coding Scheme Designator...), which name
// concepts, not people. Replacing those too left an SR whose every Value Type was "ANONYMOUS", which
// no reader can take (dciodvfy: "Unrecognized enumerated value"). A code's meaning is free text that a
// local coding scheme may fill with anything: it becomes a dummy like other text, since the code
// itself still names the concept (Clean Structured Content keeps it, cleaned). In Person
// Identification Code Sequence the code is the person's identifier, so there the code is replaced too.
import type { Tag, Vr } from '../dicom/index.ts';
import { isCodeTag } from './clean-contexts.ts';
import { DUMMY, DUMMY_IDENTITY, type WalkMode } from './walk-state.ts';

const PERSON_IDENTIFICATION_CODE_SEQUENCE: Tag = 0x00401101;

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
 * Whether an attribute Table E.1-1 does not list, inside a D sequence, can identify someone (and gets
 * a dummy); everything else is kept as it is.
 */
export const identifiesInDummy = (tag: Tag, vr: Vr, codesIdentify: boolean): boolean =>
  isCodeTag(tag) ? codesIdentify : IDENTIFYING_VRS.has(vr);
