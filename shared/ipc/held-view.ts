// What the review queue of held files sees: each file de-identification held back, its reason in plain
// words, a preview rendered in the agent (pixels only, windowed for display; it never leaves the
// machine), and the result of each action. Nothing here carries a value from a file's header.
import { z } from 'zod';

const heldId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The held file a request names (held:preview, clean, delete). */
export const heldIdRequestSchema = z.strictObject({ id: heldId });

/** A person checked the picture has no identifying text; their name is one line, as they write it. */
export const releaseAsIsRequestSchema = z.strictObject({
  id: heldId,
  confirmedBy: z
    .string()
    .trim()
    .min(1, 'write the name of the person who checked the picture')
    .max(200, 'a name has at most 200 characters')
    // eslint-disable-next-line no-control-regex
    .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), { message: 'a name is one line of text' }),
});

/** Why a file was held, as its review needs it. */
export const heldKindSchema = z.enum(['burned-in-text', 'document', 'identifier-left', 'other']);
export type HeldKind = z.infer<typeof heldKindSchema>;

/** What a person may do with a held file. */
export const heldActionSchema = z.enum(['clean', 'release-as-is', 'delete']);
export type HeldAction = z.infer<typeof heldActionSchema>;

export const heldQueueFileSchema = z.object({
  id: z.number(),
  kind: heldKindSchema,
  /** One or two sentences for a radiographer: no tag numbers, no values from the file. */
  plainReason: z.string(),
  /** The de-identification engine's own reason (tag numbers, option names), for the technical detail. */
  technicalReason: z.string(),
  heldAt: z.string(),
  /** `receiver`: sent by a PACS or modality; `watched-folder`: dropped in it; `import`: imported. */
  source: z.enum(['receiver', 'watched-folder', 'import']),
  /** False when the identified copy is gone from quarantine: only Delete is left. */
  copyPresent: z.boolean(),
  actions: z.array(heldActionSchema),
});
export type HeldQueueFile = z.infer<typeof heldQueueFileSchema>;

/** The site's rule for files held for text in the picture (setting `studies.heldFilePolicy`). */
export const heldFilePolicySchema = z.enum(['hold', 'clean-automatically', 'clean-and-ask']);
export type HeldFilePolicy = z.infer<typeof heldFilePolicySchema>;

export const heldQueueViewSchema = z.object({
  files: z.array(heldQueueFileSchema),
  /** The policy in force (IT's locked value when locked). */
  policy: heldFilePolicySchema,
  /** IT locked `studies.heldFilePolicy`: the page shows the policy read-only. */
  policyLocked: z.boolean(),
});
export type HeldQueueView = z.infer<typeof heldQueueViewSchema>;

/** The picture of a held file, rendered in the agent as PNG (base64), windowed and scaled down. */
export const heldPreviewViewSchema = z.object({
  id: z.number(),
  pngBase64: z.string(),
  width: z.number(),
  height: z.number(),
});
export type HeldPreviewView = z.infer<typeof heldPreviewViewSchema>;

export const heldActionResultSchema = z.discriminatedUnion('outcome', [
  /** De-identified and stored in the research store; the identified copy and the held entry are gone. */
  z.object({ outcome: z.literal('released'), id: z.number(), how: z.enum(['as-is', 'cleaned']) }),
  /** Its patient is not in by consent: not stored; the identified copy and the held entry are gone. */
  z.object({ outcome: z.literal('excluded'), id: z.number(), reason: z.string() }),
  /** Still not safe to release: it stays held, with why. */
  z.object({
    outcome: z.literal('still-held'),
    id: z.number(),
    plainReason: z.string(),
    technicalReason: z.string(),
  }),
  z.object({ outcome: z.literal('deleted'), id: z.number() }),
]);
export type HeldActionResult = z.infer<typeof heldActionResultSchema>;
