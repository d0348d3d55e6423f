export {
  AuditLog,
  AuditError,
  AUDIT_GENESIS_HASH,
  hashAuditEntry,
  type AuditDetail,
  type AuditEntry,
  type AuditEvent,
  type AuditQuery,
  type AuditVerification,
} from './audit-log.ts';
export { canonicalJson, type JsonValue } from './canonical-json.ts';
export { actorFor, commandActor, osUserName, type ActorOrigin } from './audit-actor.ts';
export {
  AUDIT_EXPORTED,
  HELD_CLEANED,
  HELD_DELETED,
  HELD_RELEASED,
  INITIAL_MODEL_SENT,
  MODEL_EXPORTED,
  UPDATE_SENT,
  recordExport,
  recordHeldFileAction,
  recordInitialModelSent,
  recordUpdateSent,
  type ExportKind,
  type ExportRecord,
  type HeldFileAction,
  type HeldFileReview,
  type UpdatePrivacy,
  type UpdateSent,
} from './audit-events.ts';
export { auditSentence, sizeInWords, SENTENCE_KINDS } from './audit-sentence.ts';
