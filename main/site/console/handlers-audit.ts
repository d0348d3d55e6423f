// IPC handlers of the Audit page: search the hash-chained audit log (main/site/audit) by words, event
// type and time, a page at a time; verify the chain; export the whole log as CSV (its hashes included,
// so the copy can be verified elsewhere). Exporting is itself audited.
import type { AuditEntryView, AuditPage, AuditQueryView } from '../../../shared/ipc/index.ts';
import {
  auditSentence,
  commandActor,
  recordExport,
  type AuditDetail,
  type AuditLog,
} from '../audit/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import type { IpcHandlers } from './ipc-handlers.ts';

/** What the Audit handlers need of the site agent; `SiteAgent` has it. */
export interface AuditAgentPort {
  readonly site: IngestSite;
  readonly audit: AuditLog;
  /** The person the export is recorded for (the session's operator); default: the OS user. */
  readonly actor?: string;
}

export type AuditHandlers = Pick<IpcHandlers, 'audit:search' | 'audit:verify' | 'audit:export-csv'>;

export function createAuditHandlers(
  agent: AuditAgentPort,
  clock: () => Date = () => new Date(),
): AuditHandlers {
  return {
    'audit:search': (query) => searchAudit(agent.site, query),
    'audit:verify': () => agent.audit.verify(),
    'audit:export-csv': () => {
      const csv = agent.audit.exportCsv();
      const entries = Math.max(0, csv.split('\r\n').length - 2);
      recordExport(agent.audit, agent.actor ?? commandActor(), 'audit-csv', { entries });
      return { fileName: `radfed-audit-${clock().toISOString().slice(0, 10)}.csv`, csv };
    },
  };
}

/** Newest first. Words match the type, actor and detail, case-insensitively, as typed (no wildcards). */
export function searchAudit(site: IngestSite, query: AuditQueryView): AuditPage {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.type) {
    where.push('type = ?');
    params.push(query.type);
  }
  if (query.since) {
    where.push('time >= ?');
    params.push(new Date(query.since).toISOString());
  }
  if (query.until) {
    where.push('time < ?');
    params.push(new Date(query.until).toISOString());
  }
  for (const word of (query.text ?? '').trim().split(/\s+/).filter(Boolean)) {
    const pattern = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push("(type LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\' OR detail LIKE ? ESCAPE '\\')");
    params.push(pattern, pattern, pattern);
  }
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const db = site.database;
  const total =
    db
      .prepare<unknown[], number>(`SELECT COUNT(*) FROM audit_log ${filter}`)
      .pluck()
      .get(...params) ?? 0;
  const entries = db
    .prepare<unknown[], Omit<AuditEntryView, 'sentence'>>(
      `SELECT seq, time, actor, type, detail, hash FROM audit_log ${filter} ORDER BY seq DESC LIMIT ? OFFSET ?`,
    )
    .all(...params, query.pageSize, (query.page - 1) * query.pageSize)
    .map((row) => ({ ...row, sentence: sentenceOf(row) }));
  const types = db.prepare<[], string>('SELECT DISTINCT type FROM audit_log ORDER BY type').pluck().all();
  return { entries, total, page: query.page, pageSize: query.pageSize, types };
}

function sentenceOf(row: { type: string; detail: string }): string {
  try {
    return auditSentence({ type: row.type, detail: JSON.parse(row.detail) as AuditDetail });
  } catch {
    return auditSentence({ type: row.type, detail: {} }); // the chain check reports a damaged detail
  }
}
