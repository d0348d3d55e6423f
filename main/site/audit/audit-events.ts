// The entries a privacy officer asks for first, written through one typed function each, so every
// writer records the same fields and the Audit page can say each one in a sentence (audit-sentence.ts):
// a model update leaving the site, a review action on a held file (release, clean, delete), an export.
// None of them may carry a patient identifier or an input file name: held files are named by the
// site's own held id, never by anything from the DICOM header.
import type { AuditEntry, AuditLog } from './audit-log.ts';
import type { JsonValue } from './canonical-json.ts';

export const UPDATE_SENT = 'federation.update-sent';
export const INITIAL_MODEL_SENT = 'federation.initial-model-sent';
/** Cleaned of burned-in text and kept for a person to check (the review queue's policy). */
export const HELD_CLEANED = 'held.cleaned';
export const HELD_RELEASED = 'held.released';
export const HELD_DELETED = 'held.deleted';
export const MODEL_EXPORTED = 'model.exported';
export const AUDIT_EXPORTED = 'audit.exported';

/** Differential privacy in force for an update (DP-FedAvg), with the site's own count of ε after it. */
export interface UpdatePrivacy {
  clipNorm: number;
  noiseMultiplier: number;
  epsilonBudget: number;
  delta: number;
  /** ε this site has spent on the task counting this update. */
  epsilonSpent: number;
}

export interface UpdateSent {
  taskId: string;
  taskName: string;
  hubName: string;
  round: number;
  /** The global model version the update was trained from. */
  baseVersion: number;
  /** Size of what was sent (the sealed update), in bytes. */
  bytes: number;
  /** SHA-256 (hex) of exactly those bytes, as the hub received them. */
  sha256: string;
  /** How the weights were encoded inside the seal: none, float16, int8... */
  compression: string;
  secureAggregation: boolean;
  /** Null when the task has no differential privacy. */
  differentialPrivacy: UpdatePrivacy | null;
  /** Weight the hub gives the update (1 under differential privacy). */
  examples: number;
}

/** One model update that left the site for the hub. */
export function recordUpdateSent(audit: AuditLog, actor: string, update: UpdateSent): AuditEntry {
  return audit.append({ type: UPDATE_SENT, actor, detail: { ...update, differentialPrivacy: dp(update) } });
}

/**
 * The starting weights of a task, offered to the hub by the first site to reach it: made from the
 * model's architecture and a seed, not from any image, but they leave the site all the same.
 */
export function recordInitialModelSent(
  audit: AuditLog,
  actor: string,
  sent: { taskId: string; taskName: string; hubName: string; bytes: number; sha256: string },
): AuditEntry {
  return audit.append({ type: INITIAL_MODEL_SENT, actor, detail: { ...sent } });
}

function dp(update: UpdateSent): JsonValue {
  return update.differentialPrivacy ? { ...update.differentialPrivacy } : null;
}

/**
 * A person's action on a held file in the review queue, in the shapes the review queue writes
 * (main/site/held): released as is on a person's word, cleaned and released, or deleted.
 */
export type HeldFileAction = 'released-as-is' | 'cleaned-and-released' | 'deleted';

export interface HeldFileReview {
  /** The site's own id of the held file (never its file name: names can carry PHI). */
  heldId: number;
  /** Why it was held, as the held entry says. */
  heldFor?: string;
  /** The patient's pseudonym, as the Consent page shows it (never an ID or a name). */
  patientPseudonym?: string;
  /** Released as is: who confirmed there is no burned-in text (usually the actor). */
  confirmedBy?: string;
  /** Cleaned: the areas covered and the check after cleaning (codes and counts only). */
  cleaning?: { [key: string]: JsonValue };
}

export function recordHeldFileAction(
  audit: AuditLog,
  actor: string,
  action: HeldFileAction,
  review: HeldFileReview,
): AuditEntry {
  const common = {
    heldId: review.heldId,
    ...(review.heldFor === undefined ? {} : { heldFor: review.heldFor }),
    ...(review.patientPseudonym === undefined ? {} : { patientPseudonym: review.patientPseudonym }),
  };
  if (action === 'deleted') return audit.append({ type: HELD_DELETED, actor, detail: common });
  const how: { [key: string]: JsonValue } =
    action === 'released-as-is'
      ? { how: 'as-is', confirmedBy: review.confirmedBy ?? actor }
      : { how: 'cleaned', ...(review.cleaning ?? {}) };
  return audit.append({ type: HELD_RELEASED, actor, detail: { ...common, ...how } });
}

export type ExportKind = 'audit-csv' | 'model';

export interface ExportRecord {
  /** Audit CSV: entries written. */
  entries?: number;
  /** Model: the task and version, bytes and SHA-256 of the file written. */
  taskId?: string;
  taskName?: string;
  version?: number;
  bytes?: number;
  sha256?: string;
  format?: string;
}

/** Something that left the site's records as a file: the audit log as CSV, a model. */
export function recordExport(
  audit: AuditLog,
  actor: string,
  kind: ExportKind,
  record: ExportRecord,
): AuditEntry {
  const detail: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(record))
    if (value !== undefined) detail[key] = value as JsonValue;
  if (kind === 'audit-csv')
    return audit.append({ type: AUDIT_EXPORTED, actor, detail: { format: 'csv', ...detail } });
  return audit.append({ type: MODEL_EXPORTED, actor, detail });
}
