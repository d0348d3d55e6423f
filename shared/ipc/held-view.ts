// What the review queue of held files sees: each file de-identification held back, its reason in plain
// words, a preview rendered in the agent (pixels only, windowed for display; it never leaves the
// machine), and the result of each action. Nothing here carries a value from a file's header.
/** Why a file was held, as its review needs it. */
export type HeldKind = 'burned-in-text' | 'document' | 'identifier-left' | 'other';

/** What a person may do with a held file. */
export type HeldAction = 'clean' | 'release-as-is' | 'delete';

export interface HeldQueueFile {
  id: number;
  kind: HeldKind;
  /** One or two sentences for a radiographer: no tag numbers, no values from the file. */
  plainReason: string;
  /** The de-identification engine's own reason (tag numbers, option names), for the technical detail. */
  technicalReason: string;
  heldAt: string;
  /** `receiver`: sent by a PACS or modality; `watched-folder`: dropped in it; `import`: imported. */
  source: 'receiver' | 'watched-folder' | 'import';
  /** False when the identified copy is gone from quarantine: only Delete is left. */
  copyPresent: boolean;
  actions: HeldAction[];
}

/** The site's rule for files held for text in the picture (setting `studies.heldFilePolicy`). */
export type HeldFilePolicy = 'hold' | 'clean-automatically' | 'clean-and-ask';

export interface HeldQueueView {
  files: HeldQueueFile[];
  /** The policy in force (IT's locked value when locked). */
  policy: HeldFilePolicy;
  /** IT locked `studies.heldFilePolicy`: the page shows the policy read-only. */
  policyLocked: boolean;
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
