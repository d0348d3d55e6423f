// The site's audit log: append-only and hash-chained, in the site database. Each entry's hash covers
// the previous entry's hash and the entry itself, so editing, removing or reordering any entry breaks
// the chain from that point on; SQLite triggers (store migration 2) refuse UPDATE and DELETE outright.
// Details must never hold a patient identifier or an input file name (file names can carry PHI).
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { RadfedError } from '../../../shared/errors.ts';
import { canonicalJson, type JsonValue } from './canonical-json.ts';
import { formatCsvField } from '../../../shared/csv-text.ts';

export type AuditDetail = { [key: string]: JsonValue };

export interface AuditEvent {
  /** Dotted, lower case, e.g. `site.created`, `ingest.completed`. */
  type: string;
  /** Who caused it: `operator`, `site-agent`, `cli`, ... (never a person's name from a DICOM file). */
  actor: string;
  detail?: AuditDetail;
}

export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  type: string;
  detail: AuditDetail;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  type?: string;
  /** Only entries at or after this time. */
  since?: Date | string;
  limit?: number;
  /** `asc` (oldest first, the default) or `desc` (newest first). */
  order?: 'asc' | 'desc';
}

export type AuditVerification =
  { ok: true; entries: number } | { ok: false; brokenAt: number; reason: string };

export class AuditError extends RadfedError<'bad-event' | 'bad-query'> {
  override readonly name = 'AuditError';
}

export const AUDIT_GENESIS_HASH = '0'.repeat(64);
const EVENT_TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  type: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

/** The hash of an entry: SHA-256 over the previous hash and the canonical JSON of the entry. */
export function hashAuditEntry(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const body = canonicalJson({
    seq: entry.seq,
    time: entry.time,
    actor: entry.actor,
    type: entry.type,
    detail: entry.detail,
  });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

export class AuditLog {
  readonly #db: Database;
  readonly #clock: () => Date;

  constructor(db: Database, clock: () => Date = () => new Date()) {
    this.#db = db;
    this.#clock = clock;
  }

  append(event: AuditEvent): AuditEntry {
    if (!EVENT_TYPE.test(event.type)) {
      throw new AuditError(
        'bad-event',
        `Audit event type "${event.type}" is not dotted lower case (e.g. ingest.completed).`,
      );
    }
    if (event.actor.trim() === '') throw new AuditError('bad-event', 'An audit event needs an actor.');
    const detail = event.detail ?? {};
    const detailJson = canonicalJson(detail);
    // IMMEDIATE: read the chain head and insert under one write lock, so two writers cannot fork it.
    return this.#db
      .transaction((): AuditEntry => {
        const last = this.#db
          .prepare<[], { seq: number; hash: string }>(
            'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
          )
          .get();
        const seq = (last?.seq ?? 0) + 1;
        const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
        const time = this.#clock().toISOString();
        const entry = {
          seq,
          time,
          actor: event.actor,
          type: event.type,
          detail: JSON.parse(detailJson) as AuditDetail,
        };
        const hash = hashAuditEntry(prevHash, entry);
        this.#db
          .prepare(
            'INSERT INTO audit_log (seq, time, actor, type, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(seq, time, event.actor, event.type, detailJson, prevHash, hash);
        return { ...entry, prevHash, hash };
      })
      .immediate();
  }

  list(query: AuditQuery = {}): AuditEntry[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.type !== undefined) {
      where.push('type = ?');
      params.push(query.type);
    }
    if (query.since !== undefined) {
      const since = new Date(query.since);
      if (Number.isNaN(since.getTime())) {
        throw new AuditError(
          'bad-query',
          'The "since" time is not a valid date; give an ISO time like 2026-01-31T00:00:00Z.',
        );
      }
      where.push('time >= ?');
      params.push(since.toISOString());
    }
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    let sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order}`;
    if (query.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.floor(query.limit)));
    }
    return this.#db
      .prepare<unknown[], AuditRow>(sql)
      .all(...params)
      .map(toEntry);
  }

  /**
   * Walks the whole chain: sequence numbers must run 1, 2, 3... without a gap, each entry must point at
   * the previous entry's hash, and each hash must match the entry's content. Reports the first break.
   */
  verify(): AuditVerification {
    let expectedSeq = 1;
    let prevHash = AUDIT_GENESIS_HASH;
    for (const row of this.#db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq').iterate()) {
      if (row.seq !== expectedSeq) {
        return {
          ok: false,
          brokenAt: expectedSeq,
          reason: `entry ${expectedSeq} is missing (the next entry is ${row.seq})`,
        };
      }
      if (row.prev_hash !== prevHash) {
        return {
          ok: false,
          brokenAt: row.seq,
          reason: `entry ${row.seq} does not point at the hash of the entry before it`,
        };
      }
      let detail: AuditDetail;
      try {
        detail = JSON.parse(row.detail) as AuditDetail;
      } catch {
        return {
          ok: false,
          brokenAt: row.seq,
          reason: `entry ${row.seq} has a detail that is not valid JSON`,
        };
      }
      const hash = hashAuditEntry(prevHash, {
        seq: row.seq,
        time: row.time,
        actor: row.actor,
        type: row.type,
        detail,
      });
      if (hash !== row.hash) {
        return {
          ok: false,
          brokenAt: row.seq,
          reason: `entry ${row.seq} has been changed: its hash does not match its content`,
        };
      }
      prevHash = row.hash;
      expectedSeq += 1;
    }
    return { ok: true, entries: expectedSeq - 1 };
  }

  /** The whole log as CSV (RFC 4180), oldest first, with a header row. */
  exportCsv(): string {
    const lines = ['seq,time,actor,type,detail,prev_hash,hash'];
    for (const row of this.#db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq').iterate()) {
      lines.push(
        [String(row.seq), row.time, row.actor, row.type, row.detail, row.prev_hash, row.hash]
          .map(formatCsvField)
          .join(','),
      );
    }
    return `${lines.join('\r\n')}\r\n`;
  }
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    type: row.type,
    detail: JSON.parse(row.detail) as AuditDetail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
