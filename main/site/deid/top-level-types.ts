// What the modules of a data set's top level require, for the few attributes whose Table E.1-1 action
// would otherwise break them. Found by dciodvfy's module definitions, over every storage SOP class it
// knows, and by the conformance spec (conformance.spec.ts).
// - The compound codes X/Z, Z/D, X/Z/D ask for Z only where the attribute is Type 2 (PS3.15 Table E.1-1
//   legend). On a sequence that is Type 3, an empty sequence breaks the module's "one or more Items"
//   (dciodvfy: "Bad Sequence number of Items 0 (1-n Required by Module definition)"), so it is removed.
//   Referenced Performed Procedure Step Sequence is Type 2 in SR Document Series (PS3.3 C.17.1), Key
//   Object Document Series (C.17.6.1) and the Spectacle Prescription Report, Type 3 in General Series
//   (C.7.3.1), RT Series and the others; Acquisition Context Sequence is Type 2 in its module
//   (C.7.6.14), its only home at the top level; Referenced Study Sequence (General Study, C.7.2.1) and
//   Institution Code Sequence are Type 3.
// - X on an attribute that is Type 1 where it is found would leave the instance without it: Presentation
//   Creation Date and Time are Type 1 in Presentation State Identification (C.11.10), so a presentation
//   state gets a dummy instead (D, which identifies no one either).
// Inside items the enclosing macro is not known, and the table's action stands.
import type { Tag } from '../dicom/index.ts';

/** SR documents and Key Object Selection (1.2.840.10008.5.1.4.1.1.88.x). */
const SR_FAMILY = '1.2.840.10008.5.1.4.1.1.88.';
const SPECTACLE_PRESCRIPTION_REPORT = '1.2.840.10008.5.1.4.1.1.78.6';
/** Grayscale, colour, pseudo-colour, blending... softcopy presentation states. */
const PRESENTATION_STATES = '1.2.840.10008.5.1.4.1.1.11.';

const isSrDocument = (sopClass: string): boolean =>
  sopClass.startsWith(SR_FAMILY) || sopClass === SPECTACLE_PRESCRIPTION_REPORT;
const isPresentationState = (sopClass: string): boolean => sopClass.startsWith(PRESENTATION_STATES);
const everywhere = (): boolean => true;

const REQUIRED: ReadonlyMap<Tag, { type: 1 | 2; where: (sopClass: string) => boolean }> = new Map([
  [0x00081111, { type: 2, where: isSrDocument }], // Referenced Performed Procedure Step Sequence
  [0x00400555, { type: 2, where: everywhere }], // Acquisition Context Sequence
  [0x00700082, { type: 1, where: isPresentationState }], // Presentation Creation Date
  [0x00700083, { type: 1, where: isPresentationState }], // Presentation Creation Time
]);

/** The attribute's Type at the top level of an instance of this SOP class: 1, 2, or 3 (optional). */
export function topLevelType(tag: Tag, sopClassUid: string): 1 | 2 | 3 {
  const required = REQUIRED.get(tag);
  return required && required.where(sopClassUid) ? required.type : 3;
}
