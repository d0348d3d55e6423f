// Uploads in progress (resumable: the bytes received so far live in a .part file) and the submissions
// they became once complete, accepted or rejected with a reason.
import type { UploadKind } from '../../shared/federation/index.ts';
import type { HubDatabase } from './hub-database.ts';

export interface UploadRow {
  id: string;
  task_id: string;
  round: number;
  site_id: string;
  kind: UploadKind;
  bytes: number;
  sha256: string;
  chunk_bytes: number;
  received_bytes: number;
  state: 'receiving' | 'complete';
  submission_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface SubmissionRow {
  id: string;
  upload_id: string;
  task_id: string;
  round: number;
  site_id: string;
  kind: UploadKind;
  examples: number;
  base_version: number | null;
  compression: string;
  blob_sha256: string;
  envelope: string;
  envelope_signature: string;
  state: 'accepted' | 'rejected';
  reason: string | null;
  created_at: string;
  /** A plain update's L2 norm, the bound it was held to and the verdict (null for masked and initial uploads). */
  update_norm: number | null;
  norm_bound: number | null;
  norm_action: 'within' | 'clipped' | 'refused' | null;
}

export class UploadRows {
  constructor(private readonly db: HubDatabase) {}

  insertUpload(row: Omit<UploadRow, 'received_bytes' | 'state' | 'submission_id' | 'updated_at'>): void {
    this.db
      .prepare(
        `INSERT INTO uploads (id, task_id, round, site_id, kind, bytes, sha256, chunk_bytes, state, created_at, updated_at)
         VALUES (@id, @task_id, @round, @site_id, @kind, @bytes, @sha256, @chunk_bytes, 'receiving', @created_at, @created_at)`,
      )
      .run(row);
  }

  upload(id: string): UploadRow | undefined {
    return this.db.prepare('SELECT * FROM uploads WHERE id = ?').get(id) as UploadRow | undefined;
  }

  findUpload(
    taskId: string,
    round: number,
    siteId: string,
    kind: string,
    sha256: string,
  ): UploadRow | undefined {
    return this.db
      .prepare(
        'SELECT * FROM uploads WHERE task_id = ? AND round = ? AND site_id = ? AND kind = ? AND sha256 = ?',
      )
      .get(taskId, round, siteId, kind, sha256) as UploadRow | undefined;
  }

  setReceived(id: string, receivedBytes: number, at: string): void {
    this.db
      .prepare('UPDATE uploads SET received_bytes = ?, updated_at = ? WHERE id = ?')
      .run(receivedBytes, at, id);
  }

  /** A rejected upload is forgotten, so the site can send a corrected one with the same bytes' hash. */
  deleteUpload(id: string): void {
    this.db.prepare('DELETE FROM uploads WHERE id = ?').run(id);
  }

  /** Unfinished uploads of one site for one round and kind (bounded per site: see createUpload). */
  openUploadCount(taskId: string, round: number, siteId: string, kind: string): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM uploads
         WHERE task_id = ? AND round = ? AND site_id = ? AND kind = ? AND state = 'receiving'`,
      )
      .get(taskId, round, siteId, kind) as { n: number };
    return row.n;
  }

  /**
   * Unfinished uploads nothing will ever take: of a task that ended, of a round that is no longer
   * collecting, or an initial model for a task that has one already.
   */
  abandonedUploads(): UploadRow[] {
    return this.db
      .prepare(
        `SELECT u.* FROM uploads u JOIN tasks t ON t.id = u.task_id
         WHERE u.state = 'receiving' AND (
           t.state <> 'active'
           OR (u.kind = 'delta' AND NOT EXISTS (SELECT 1 FROM rounds r
                 WHERE r.task_id = u.task_id AND r.number = u.round AND r.state = 'collecting'))
           OR (u.kind = 'initial' AND EXISTS (SELECT 1 FROM models m WHERE m.task_id = u.task_id)))`,
      )
      .all() as UploadRow[];
  }

  receivingUploadIds(): Set<string> {
    const rows = this.db.prepare("SELECT id FROM uploads WHERE state = 'receiving'").all() as {
      id: string;
    }[];
    return new Set(rows.map((row) => row.id));
  }

  completeUpload(id: string, submissionId: string, at: string): void {
    this.db
      .prepare("UPDATE uploads SET state = 'complete', submission_id = ?, updated_at = ? WHERE id = ?")
      .run(submissionId, at, id);
  }

  insertSubmission(row: SubmissionRow): void {
    this.db
      .prepare(
        `INSERT INTO submissions (id, upload_id, task_id, round, site_id, kind, examples, base_version, compression,
           blob_sha256, envelope, envelope_signature, state, reason, created_at, update_norm, norm_bound, norm_action)
         VALUES (@id, @upload_id, @task_id, @round, @site_id, @kind, @examples, @base_version, @compression,
           @blob_sha256, @envelope, @envelope_signature, @state, @reason, @created_at, @update_norm, @norm_bound,
           @norm_action)`,
      )
      .run(row);
  }

  submission(id: string): SubmissionRow | undefined {
    return this.db.prepare('SELECT * FROM submissions WHERE id = ?').get(id) as SubmissionRow | undefined;
  }

  submissionsOfSite(taskId: string, siteId: string): SubmissionRow[] {
    return this.db
      .prepare('SELECT * FROM submissions WHERE task_id = ? AND site_id = ? ORDER BY created_at, id')
      .all(taskId, siteId) as SubmissionRow[];
  }

  /** Every plain update of a round with a recorded norm (accepted, clipped or refused). */
  boundedUpdates(taskId: string, round: number): SubmissionRow[] {
    return this.db
      .prepare(
        `SELECT * FROM submissions WHERE task_id = ? AND round = ? AND kind = 'delta' AND norm_action IS NOT NULL
         ORDER BY site_id, created_at`,
      )
      .all(taskId, round) as SubmissionRow[];
  }

  acceptedUpdates(taskId: string, round: number): SubmissionRow[] {
    return this.db
      .prepare(
        `SELECT * FROM submissions WHERE task_id = ? AND round = ? AND kind = 'delta' AND state = 'accepted'
         ORDER BY site_id`,
      )
      .all(taskId, round) as SubmissionRow[];
  }

  acceptedUpdateOf(taskId: string, round: number, siteId: string): SubmissionRow | undefined {
    return this.db
      .prepare(
        `SELECT * FROM submissions WHERE task_id = ? AND round = ? AND site_id = ? AND kind = 'delta' AND state = 'accepted'`,
      )
      .get(taskId, round, siteId) as SubmissionRow | undefined;
  }
}
