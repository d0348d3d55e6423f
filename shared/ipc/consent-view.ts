// What the Consent page sees: patients by pseudonym only (RF + 16 hex digits). Patient IDs are typed
// on the page for a withdrawal and hashed by the agent; none is ever sent back.
import { z } from 'zod';
import { PSEUDONYM_PATTERN } from '../site-rules.ts';
import { consentPolicyViewSchema } from './site-status.ts';

/** A Patient ID as typed for a withdrawal (DICOM LO: at most 64 characters). */
export const patientIdRequestSchema = z.strictObject({ patientId: z.string().trim().min(1).max(64) });
export const pseudonymRequestSchema = z.strictObject({ pseudonym: z.string().regex(PSEUDONYM_PATTERN) });
/**
 * The consent export's bytes, base64: read by the page from a file the person picked. Requests are
 * 1 MiB at most (the web UI's limit): about 750 KB of CSV, tens of thousands of rows.
 */
export const consentImportRequestSchema = z.strictObject({ csvBase64: z.base64().min(1) });

const consentStatus = z.enum(['granted', 'refused', 'withdrawn']);

export const consentDecisionViewSchema = z.object({
  in: z.boolean(),
  status: consentStatus.nullable(),
  /** Why the patient is out, in words; null when in. */
  reason: z.string().nullable(),
});
export type ConsentDecisionView = z.infer<typeof consentDecisionViewSchema>;

export const consentPatientViewSchema = z.object({
  pseudonym: z.string(),
  decision: consentDecisionViewSchema,
  lastDate: z.string(),
  entries: z.number(),
});
export type ConsentPatientView = z.infer<typeof consentPatientViewSchema>;

export const consentRegisterViewSchema = z.object({
  policy: consentPolicyViewSchema,
  patients: z.array(consentPatientViewSchema),
});
export type ConsentRegisterView = z.infer<typeof consentRegisterViewSchema>;

export const consentHistoryEntrySchema = z.object({
  status: consentStatus,
  date: z.string(),
  /** '' speaks for every use. */
  scope: z.string(),
  source: z.enum(['import', 'set', 'withdraw']),
  recordedAt: z.string(),
});
export type ConsentHistoryEntry = z.infer<typeof consentHistoryEntrySchema>;

export const roundUseViewSchema = z.object({
  taskId: z.string(),
  /** The task's name when this site approved it (from the audit log); null if it never did here. */
  taskName: z.string().nullable(),
  roundId: z.string(),
  completedAt: z.string(),
});
export type RoundUseView = z.infer<typeof roundUseViewSchema>;

export const consentHistoryViewSchema = z.object({
  pseudonym: z.string(),
  decision: consentDecisionViewSchema,
  history: z.array(consentHistoryEntrySchema),
  held: z.object({ studies: z.number(), instances: z.number() }),
  rounds: z.array(roundUseViewSchema),
});
export type ConsentHistoryView = z.infer<typeof consentHistoryViewSchema>;

/** One problem of a consent file: its line (the header is line 1) and what is wrong, without values. */
export const consentLineProblemSchema = z.object({ line: z.number(), message: z.string() });
export type ConsentLineProblem = z.infer<typeof consentLineProblemSchema>;

export const consentImportResultSchema = z.union([
  z.object({
    imported: z.literal(true),
    rows: z.number(),
    added: z.number(),
    alreadyRecorded: z.number(),
    byStatus: z.object({ granted: z.number(), refused: z.number(), withdrawn: z.number() }),
    /** Patients whose data was purged because the import put them out. */
    purgedPatients: z.number(),
  }),
  z.object({ imported: z.literal(false), message: z.string(), problems: z.array(consentLineProblemSchema) }),
]);
export type ConsentImportResult = z.infer<typeof consentImportResultSchema>;

/** What a withdrawal would purge, shown before the person confirms. */
export const withdrawPreviewSchema = z.object({
  pseudonym: z.string(),
  /** False when the register has no entry and no data for this patient. */
  known: z.boolean(),
  studies: z.number(),
  instances: z.number(),
  heldFiles: z.number(),
  tensorCache: z.boolean(),
  rounds: z.array(roundUseViewSchema),
});
export type WithdrawPreview = z.infer<typeof withdrawPreviewSchema>;

export const withdrawResultSchema = z.object({
  pseudonym: z.string(),
  inForce: z.boolean(),
  purged: z
    .object({ studies: z.number(), instances: z.number(), heldFiles: z.number(), tensorCache: z.boolean() })
    .nullable(),
  rounds: z.array(roundUseViewSchema),
  message: z.string(),
});
export type WithdrawResult = z.infer<typeof withdrawResultSchema>;
