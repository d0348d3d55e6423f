// What the review queue of held files sees: each file de-identification held back, its reason in plain
// words, a preview rendered in the agent (pixels only, windowed for display; it never leaves the
// machine), and the result of each action. Nothing here carries a value from a file's header.
import { z } from 'zod';

/** Why a file was held, as its review needs it. */
export type HeldKind = 'burned-in-text' | 'document' | 'identifier-left' | 'other';

/** What a person may do with a held file. */
export type HeldAction = 'clean' | 'release-as-is' | 'delete';

export interface HeldFileView {
  id: number;
  kind: HeldKind;
  /** One or two sentences for a radiographer: no tag numbers, no values from the file. */
  plainReason: string;
  /** The de-identification engine's own reason (tag numbers, option names), for the technical detail. */
  technicalReason: string;
  heldAt: string;
  /** `receiver`: sent by a PACS or modality; `import`: a folder import or the watched folder. */
  source: 'receiver' | 'import';
  /** False when the identified copy is gone from quarantine: only Delete is left. */
  copyPresent: boolean;
  actions: HeldAction[];
}

/** The site's rule for files held for text in the picture (setting `studies.heldFilePolicy`). */
export type HeldFilePolicy = 'hold' | 'clean-automatically' | 'clean-and-ask';

export interface HeldQueueView {
  files: HeldFileView[];
  policy: HeldFilePolicy;
}

/** The picture of a held file, rendered in the agent as PNG (base64), windowed and scaled down. */
export interface HeldPreviewView {
  id: number;
  pngBase64: string;
  width: number;
  height: number;
}

export type HeldActionResult =
  /** De-identified and stored in the research store; the identified copy and the held entry are gone. */
  | { outcome: 'released'; id: number; how: 'as-is' | 'cleaned' }
  /** Its patient is not in by consent: not stored; the identified copy and the held entry are gone. */
  | { outcome: 'excluded'; id: number; reason: string }
  /** Still not safe to release: it stays held, with why. */
  | { outcome: 'still-held'; id: number; plainReason: string; technicalReason: string }
  | { outcome: 'deleted'; id: number };

const heldId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The name of the person who checked the picture: one line, as they write it. */
export const ReviewerNameSchema = z
  .string()
  .trim()
  .min(1, 'write the name of the person who checked the picture')
  .max(200, 'a name has at most 200 characters')
  // eslint-disable-next-line no-control-regex
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), { message: 'a name is one line of text' });

/** Request schemas of the held:* channels, spread into ipcRequestSchemas. */
export const heldSchemas = () =>
  ({
    'held:list': z.undefined(),
    'held:preview': z.strictObject({ id: heldId }),
    'held:release-as-is': z.strictObject({ id: heldId, confirmedBy: ReviewerNameSchema }),
    'held:clean': z.strictObject({ id: heldId }),
    'held:delete': z.strictObject({ id: heldId }),
  }) as const;
