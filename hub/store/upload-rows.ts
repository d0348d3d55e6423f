// Uploads in progress (resumable: the bytes received so far live in a .part file) and the submissions
// they became once complete, accepted or rejected with a reason.
import type { UploadKind } from '../../shared/federation/index.ts';
import type { SqlQueries } from './sql-engine.ts';

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
  constructor(private readonly sql: SqlQueries) {}

  async insertUpload(
    row: Omit<UploadRow, 'received_bytes' | 'state' | 'submission_id' | 'updated_at'>,
  ): Promise<void> {
    await this.sql.run(
      `INSERT INTO uploads (id, task_id, round, site_id, kind, bytes, sha256, chunk_bytes, state, created_at, updated_at)
       VALUES (@id, @task_id, @round, @site_id, @kind, @bytes, @sha256, @chunk_bytes, 'receiving', @created_at, @created_at)`,
      { ...row },
    );
  }

  upload(id: string): Promise<UploadRow | undefined> {
    return this.sql.get<UploadRow>('SELECT * FROM uploads WHERE id = @id', { id });
  }

  findUpload(
    taskId: string,
    round: number,
    siteId: string,
    kind: string,
    sha256: string,
  ): Promise<UploadRow | undefined> {
    return this.sql.get<UploadRow>(
      `SELECT * FROM uploads
       WHERE task_id = @taskId AND round = @round AND site_id = @siteId AND kind = @kind AND sha256 = @sha256`,
      { taskId, round, siteId, kind, sha256 },
    );
  }

  async setReceived(id: string, receivedBytes: number, at: string): Promise<void> {
    await this.sql.run(
      'UPDATE uploads SET received_bytes = @receivedBytes, updated_at = @at WHERE id = @id',
      {
        receivedBytes,
        at,
        id,
      },
    );
  }

  /** A rejected upload is forgotten, so the site can send a corrected one with the same bytes' hash. */
  async deleteUpload(id: string): Promise<void> {
    await this.sql.run('DELETE FROM uploads WHERE id = @id', { id });
  }

  /** Unfinished uploads of one site for one round and kind (bounded per site: see createUpload). */
  async openUploadCount(taskId: string, round: number, siteId: string, kind: string): Promise<number> {
    const row = await this.sql.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM uploads
       WHERE task_id = @taskId AND round = @round AND site_id = @siteId AND kind = @kind AND state = 'receiving'`,
      { taskId, round, siteId, kind },
    );
    return row?.n ?? 0;
  }

  /**
   * Unfinished uploads nothing will ever take: of a task that ended, of a round that is no longer
   * collecting, or an initial model for a task that has one already.
   */
  abandonedUploads(): Promise<UploadRow[]> {
    return this.sql.all<UploadRow>(
      `SELECT u.* FROM uploads u JOIN tasks t ON t.id = u.task_id
       WHERE u.state = 'receiving' AND (
         t.state <> 'active'
         OR (u.kind = 'delta' AND NOT EXISTS (SELECT 1 FROM rounds r
               WHERE r.task_id = u.task_id AND r.number = u.round AND r.state = 'collecting'))
         OR (u.kind = 'initial' AND EXISTS (SELECT 1 FROM models m WHERE m.task_id = u.task_id)))`,
    );
  }

  async receivingUploadIds(): Promise<Set<string>> {
    const rows = await this.sql.all<{ id: string }>("SELECT id FROM uploads WHERE state = 'receiving'");
    return new Set(rows.map((row) => row.id));
  }

  async completeUpload(id: string, submissionId: string, at: string): Promise<void> {
    await this.sql.run(
      "UPDATE uploads SET state = 'complete', submission_id = @submissionId, updated_at = @at WHERE id = @id",
      { submissionId, at, id },
    );
  }

  async insertSubmission(row: SubmissionRow): Promise<void> {
    await this.sql.run(
      `INSERT INTO submissions (id, upload_id, task_id, round, site_id, kind, examples, base_version, compression,
         blob_sha256, envelope, envelope_signature, state, reason, created_at, update_norm, norm_bound, norm_action)
       VALUES (@id, @upload_id, @task_id, @round, @site_id, @kind, @examples, @base_version, @compression,
         @blob_sha256, @envelope, @envelope_signature, @state, @reason, @created_at, @update_norm, @norm_bound,
         @norm_action)`,
      { ...row },
    );
  }

  submission(id: string): Promise<SubmissionRow | undefined> {
    return this.sql.get<SubmissionRow>('SELECT * FROM submissions WHERE id = @id', { id });
  }

  submissionsOfSite(taskId: string, siteId: string): Promise<SubmissionRow[]> {
    return this.sql.all<SubmissionRow>(
      'SELECT * FROM submissions WHERE task_id = @taskId AND site_id = @siteId ORDER BY created_at, id',
      { taskId, siteId },
    );
  }

  /** Every plain update of a round with a recorded norm (accepted, clipped or refused). */
  boundedUpdates(taskId: string, round: number): Promise<SubmissionRow[]> {
    return this.sql.all<SubmissionRow>(
      `SELECT * FROM submissions
       WHERE task_id = @taskId AND round = @round AND kind = 'delta' AND norm_action IS NOT NULL
       ORDER BY site_id, created_at`,
      { taskId, round },
    );
  }

  acceptedUpdates(taskId: string, round: number): Promise<SubmissionRow[]> {
    return this.sql.all<SubmissionRow>(
      `SELECT * FROM submissions
       WHERE task_id = @taskId AND round = @round AND kind = 'delta' AND state = 'accepted'
       ORDER BY site_id`,
      { taskId, round },
    );
  }

  acceptedUpdateOf(taskId: string, round: number, siteId: string): Promise<SubmissionRow | undefined> {
    return this.sql.get<SubmissionRow>(
      `SELECT * FROM submissions
       WHERE task_id = @taskId AND round = @round AND site_id = @siteId AND kind = 'delta' AND state = 'accepted'`,
      { taskId, round, siteId },
    );
  }
}
