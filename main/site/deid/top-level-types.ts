// Whether a compound code (X/Z, Z/D, X/Z/D) that would empty a sequence keeps it empty or removes it.
// The codes ask for Z only where the attribute is Type 2 in its IOD (PS3.15 Table E.1-1 legend).
// Where it is Type 3, an empty sequence breaks the module's "one or more Items" (dciodvfy: "Bad
// Sequence number of Items 0 (1-n Required by Module definition)"), so it is removed instead. At the
// top level of a data set the module is known from the SOP class for the sequences concerned (checked
// against dciodvfy's module definitions for every storage SOP class it knows):
// - Referenced Performed Procedure Step Sequence: Type 2 in SR Document Series (PS3.3 C.17.1), Key
//   Object Document Series (C.17.6.1) and the Spectacle Prescription Report; Type 3 in General
//   Series (C.7.3.1), RT Series and the others.
// - Acquisition Context Sequence: Type 2 in the Acquisition Context Module (C.7.6.14), its only home
//   at the top level.
// - Referenced Study Sequence (General Study, C.7.2.1) and the rest: Type 3.
// Inside items the enclosing macro is not known, and the empty sequence (valid for Type 2) stays.
import type { Tag } from '../dicom/model.ts';

const REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE: Tag = 0x00081111;
const ACQUISITION_CONTEXT_SEQUENCE: Tag = 0x00400555;

/** SR documents and Key Object Selection (1.2.840.10008.5.1.4.1.1.88.x). */
const SR_FAMILY = '1.2.840.10008.5.1.4.1.1.88.';
const SPECTACLE_PRESCRIPTION_REPORT = '1.2.840.10008.5.1.4.1.1.78.6';

/** Whether a top-level sequence whose compound code allows Z or X is Type 2 (kept empty) there. */
export function isType2AtTopLevel(tag: Tag, sopClassUid: string): boolean {
  if (tag === ACQUISITION_CONTEXT_SEQUENCE) return true;
  if (tag === REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE) {
    return sopClassUid.startsWith(SR_FAMILY) || sopClassUid === SPECTACLE_PRESCRIPTION_REPORT;
  }
  return false;
}
