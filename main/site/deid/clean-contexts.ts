// What "clean" means inside a sequence whose action is C: the items are kept and processed with the
// same rules, and their free text is cleaned instead of kept or replaced by a dummy.
// - descriptors (Clean Descriptors, PS3.15 E.3.5, and Retain Patient Characteristics / Device
//   Identity cells): code sequences such as Admitting Diagnoses Code Sequence keep their codes;
//   Code Meaning and other text is cleaned.
// - structured content (PS3.15 E.3.7): an SR content tree keeps its structure and codes; Text Value is
//   cleaned, Person Name replaced (its row says D), dates shifted under Modified Dates or replaced by a
//   dummy (their rows), UIDREF values remapped (UID is U).
// - graphics (PS3.15 E.3.8): a Graphic Annotation Sequence keeps its graphics; Unformatted Text Value
//   is cleaned instead of replaced by a dummy.
import type { Tag, Vr } from '../dicom/index.ts';
import type { DeidOption } from './deid-options.ts';

export type CleanContext = 'descriptors' | 'structured' | 'graphics';

export function contextFor(via: readonly DeidOption[]): CleanContext {
  if (via.includes('clean-structured-content')) return 'structured';
  if (via.includes('clean-graphics')) return 'graphics';
  return 'descriptors';
}

/** Free-text VRs; PN is never cleaned (names are replaced), CS and numbers identify no one. */
export const CLEANABLE_TEXT_VRS: ReadonlySet<Vr> = new Set<Vr>(['LO', 'SH', 'ST', 'LT', 'UT', 'UC']);

/**
 * Coded entries keep their codes: a SNOMED concept id is a long digit run the free-text patterns
 * would otherwise take out, and a code names a concept, not a person.
 */
const CODE_TAGS: ReadonlySet<Tag> = new Set<Tag>([
  0x00080100, // Code Value
  0x00080102, // Coding Scheme Designator
  0x00080103, // Coding Scheme Version
  0x00080105, // Mapping Resource
  0x00080106, // Context Group Version
  0x0008010f, // Context Identifier
  0x00080119, // Long Code Value
  0x00080120, // URN Code Value
  0x0040db00, // Template Identifier
]);

/** Whether an attribute is part of a coded entry's code (PS3.3 Table 8.8-1), not its meaning. */
export const isCodeTag = (tag: Tag): boolean => CODE_TAGS.has(tag);

/** Whether an element inside a clean context has its text cleaned. */
export const isCleanableInContext = (tag: Tag, vr: Vr): boolean =>
  CLEANABLE_TEXT_VRS.has(vr) && !CODE_TAGS.has(tag);
