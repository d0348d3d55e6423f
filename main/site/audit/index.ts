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
