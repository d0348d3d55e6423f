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

  completeUpload(id: string, submissionId: string, at: string): void {
    this.db
      .prepare("UPDATE uploads SET state = 'complete', submission_id = ?, updated_at = ? WHERE id = ?")
      .run(submissionId, at, id);
  }

  insertSubmission(row: SubmissionRow): void {
    this.db
      .prepare(
        `INSERT INTO submissions (id, upload_id, task_id, round, site_id, kind, examples, base_version, compression,
           blob_sha256, envelope, envelope_signature, state, reason, created_at)
         VALUES (@id, @upload_id, @task_id, @round, @site_id, @kind, @examples, @base_version, @compression,
           @blob_sha256, @envelope, @envelope_signature, @state, @reason, @created_at)`,
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
