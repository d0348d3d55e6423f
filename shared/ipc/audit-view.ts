// What the Audit page sees of the site's hash-chained audit log.

export interface AuditEntryView {
  seq: number;
  time: string;
  actor: string;
  type: string;
  /** The entry's detail as JSON text (it holds no patient identifier, by the log's own rule). */
  detail: string;
  hash: string;
  /** The entry in one plain sentence, without the person (shown beside it) or a full stop. */
  sentence: string;
}

export interface AuditQueryView {
  /** Words searched for in the type, actor and detail (case-insensitive). */
  text?: string;
  /** One event type, e.g. `ingest.completed`. */
  type?: string;
  /** ISO times: entries at or after `since` and before `until` (the page turns local dates into these). */
  since?: string;
  until?: string;
  /** 1-based. */
  page: number;
  pageSize: number;
}

export interface AuditPage {
  entries: AuditEntryView[];
  /** Entries matching the filters, on all pages. */
  total: number;
  page: number;
  pageSize: number;
  /** Every event type in the log, for the filter. */
  types: string[];
}

export type AuditChainStatus =
  { ok: true; entries: number } | { ok: false; brokenAt: number; reason: string };

export interface AuditCsvExport {
  fileName: string;
  csv: string;
}
