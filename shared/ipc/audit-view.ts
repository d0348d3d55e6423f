// What the Audit page sees of the site's hash-chained audit log.
import { z } from 'zod';

export const auditEntryViewSchema = z.object({
  seq: z.number(),
  time: z.string(),
  actor: z.string(),
  type: z.string(),
  /** The entry's detail as JSON text (it holds no patient identifier, by the log's own rule). */
  detail: z.string(),
  hash: z.string(),
  /** The entry in one plain sentence, without the person (shown beside it) or a full stop. */
  sentence: z.string(),
});
export type AuditEntryView = z.infer<typeof auditEntryViewSchema>;

export const auditQueryViewSchema = z.strictObject({
  /** Words searched for in the type, actor and detail (case-insensitive). */
  text: z.string().max(200).optional(),
  /** One event type, e.g. `ingest.completed`. */
  type: z.string().max(100).optional(),
  /** ISO times: entries at or after `since` and before `until` (the page turns local dates into these). */
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  /** 1-based. */
  page: z.number().int().min(1),
  pageSize: z.number().int().min(1).max(500),
});
export type AuditQueryView = z.infer<typeof auditQueryViewSchema>;

export const auditPageSchema = z.object({
  entries: z.array(auditEntryViewSchema),
  /** Entries matching the filters, on all pages. */
  total: z.number(),
  page: z.number(),
  pageSize: z.number(),
  /** Every event type in the log, for the filter. */
  types: z.array(z.string()),
});
export type AuditPage = z.infer<typeof auditPageSchema>;

export const auditChainStatusSchema = z.union([
  z.object({ ok: z.literal(true), entries: z.number() }),
  z.object({ ok: z.literal(false), brokenAt: z.number(), reason: z.string() }),
]);
export type AuditChainStatus = z.infer<typeof auditChainStatusSchema>;

export const auditCsvExportSchema = z.object({ fileName: z.string(), csv: z.string() });
export type AuditCsvExport = z.infer<typeof auditCsvExportSchema>;
