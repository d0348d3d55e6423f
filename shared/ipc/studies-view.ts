// What the Studies page sees of the site: import runs, the de-identification report, and one
// instance's header before and after de-identification. Identified values never travel here: the
// agent masks them (`•••••• (12 characters)`) before they reach the screen.
import { z } from 'zod';

/** An import run of this session, as studies:import-start named it. */
const importId = z.string().regex(/^[a-z0-9-]{1,64}$/);

export const importFolderRequestSchema = z.strictObject({ folder: z.string().trim().min(1).max(4096) });
export const importProgressRequestSchema = z.strictObject({ importId });
export const importStartedSchema = z.object({ importId: z.string() });

/** What became of the files of an import, by outcome. */
export const importCountsSchema = z.object({
  deidentified: z.number(),
  held: z.number(),
  rejected: z.number(),
  /** Not stored: the patient is not in by consent. */
  excluded: z.number(),
  alreadyIngested: z.number(),
  failed: z.number(),
});
export type ImportCounts = z.infer<typeof importCountsSchema>;

export const importFileStatusSchema = z.enum([
  'deidentified',
  'held',
  'rejected',
  'excluded',
  'already-ingested',
  'failed',
]);
export type ImportFileStatus = z.infer<typeof importFileStatusSchema>;

/** One file of an import, known by its number in the run (its name may carry a patient's name). */
export const importFileViewSchema = z.object({
  /** 1-based, in the order the files were processed. */
  number: z.number(),
  status: importFileStatusSchema,
  /** Why it was held, rejected, excluded or failed; never a value from the file. */
  reason: z.string().nullable(),
});
export type ImportFileView = z.infer<typeof importFileViewSchema>;

export const importProgressSchema = z.object({
  importId: z.string(),
  state: z.enum(['running', 'completed', 'failed']),
  /** Files processed so far, and in all (0 until the folder has been listed). */
  done: z.number(),
  total: z.number(),
  counts: importCountsSchema,
  /** The files processed so far, in order. */
  files: z.array(importFileViewSchema),
  /** A sentence for a person when the run failed. */
  error: z.string().nullable(),
});
export type ImportProgress = z.infer<typeof importProgressSchema>;

/** A reason files were held back or rejected, with how many. */
export const reasonCountSchema = z.object({
  /** The agent's exact reason (tags, kinds of values): technical detail, shown behind a disclosure. */
  reason: z.string(),
  /** The same in plain words for the person at the screen. */
  plain: z.string(),
  files: z.number(),
});
export type ReasonCount = z.infer<typeof reasonCountSchema>;

export const heldFileViewSchema = z.object({
  /** The held entry's number, to ask for its header. */
  id: z.number(),
  reason: z.string(),
  /** The reason in plain words (the review queue's wording). */
  plain: z.string(),
  heldAt: z.string(),
});
export type HeldFileView = z.infer<typeof heldFileViewSchema>;

export const ingestRunViewSchema = z.object({
  id: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.string(),
  files: z.number(),
  deidentified: z.number(),
  held: z.number(),
  rejected: z.number(),
  alreadyIngested: z.number(),
  failed: z.number(),
});
export type IngestRunView = z.infer<typeof ingestRunViewSchema>;

export const deidReportSchema = z.object({
  /** PS3.15 option names (kebab-case) this site applies. */
  deidOptions: z.array(z.string()),
  profile: z.string(),
  counts: z.object({
    patients: z.number(),
    studies: z.number(),
    series: z.number(),
    instances: z.number(),
    held: z.number(),
    rejected: z.number(),
  }),
  heldReasons: z.array(reasonCountSchema),
  rejectedReasons: z.array(reasonCountSchema),
  held: z.array(heldFileViewSchema),
  /** Latest first. */
  runs: z.array(ingestRunViewSchema),
});
export type DeidReport = z.infer<typeof deidReportSchema>;

/** Where the instance shown comes from. */
export const headerSourceSchema = z.discriminatedUnion('kind', [
  /** A file of an import run in this session: its source file is still where the operator put it. */
  z.strictObject({ kind: z.literal('import'), importId, file: z.number().int().min(1) }),
  /** A file held back: its identified copy is kept in quarantine. */
  z.strictObject({ kind: z.literal('held'), heldId: z.number().int().min(1) }),
]);
export type HeaderSource = z.infer<typeof headerSourceSchema>;

export const headerActionSchema = z.enum(['kept', 'replaced', 'emptied', 'removed', 'added']);
export type HeaderAction = z.infer<typeof headerActionSchema>;

export const headerRowSchema = z.object({
  /** `(0010,0010)` */
  tag: z.string(),
  /** `PatientName`, or `private` / `unknown`. */
  keyword: z.string(),
  vr: z.string(),
  action: headerActionSchema,
  /**
   * The original value as shown: masked unless it was kept unchanged and its attribute cannot identify
   * anyone (a code, a number, an unlisted UID); null when absent.
   */
  before: z.string().nullable(),
  /** The de-identified value as shown; null when removed. */
  after: z.string().nullable(),
});
export type HeaderRow = z.infer<typeof headerRowSchema>;

export const headerComparisonSchema = z.object({
  /** What the two columns are, in words (e.g. "the source file" / "the stored de-identified file"). */
  beforeFrom: z.string(),
  afterFrom: z.string(),
  /** When the original cannot be shown, why; then `rows` carry only the de-identified header. */
  notice: z.string().nullable(),
  outcome: importFileStatusSchema,
  rows: z.array(headerRowSchema),
});
export type HeaderComparison = z.infer<typeof headerComparisonSchema>;
