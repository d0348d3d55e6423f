// The model registry: every global model version of a task, and the sites' evaluations of each.
import type { HubDatabase } from './hub-database.ts';

export interface ModelRow {
  task_id: string;
  version: number;
  round: number;
  blob_sha256: string;
  signature: string;
  bytes: number;
  created_at: string;
}

export interface EvaluationRow {
  task_id: string;
  version: number;
  site_id: string;
  loss: number | null;
  accuracy: number | null;
  auc: number | null;
  n: number;
  created_at: string;
}

export class ModelRows {
  constructor(private readonly db: HubDatabase) {}

  insertModel(row: ModelRow): void {
    this.db
      .prepare(
        `INSERT INTO models (task_id, version, round, blob_sha256, signature, bytes, created_at)
         VALUES (@task_id, @version, @round, @blob_sha256, @signature, @bytes, @created_at)`,
      )
      .run(row);
  }

  model(taskId: string, version: number): ModelRow | undefined {
    return this.db.prepare('SELECT * FROM models WHERE task_id = ? AND version = ?').get(taskId, version) as
      ModelRow | undefined;
  }

  latestModel(taskId: string): ModelRow | undefined {
    return this.db
      .prepare('SELECT * FROM models WHERE task_id = ? ORDER BY version DESC LIMIT 1')
      .get(taskId) as ModelRow | undefined;
  }

  models(taskId: string): ModelRow[] {
    return this.db
      .prepare('SELECT * FROM models WHERE task_id = ? ORDER BY version')
      .all(taskId) as ModelRow[];
  }

  /** One evaluation per site and version: a second post replaces the first. */
  upsertEvaluation(row: EvaluationRow): void {
    this.db
      .prepare(
        `INSERT INTO evaluations (task_id, version, site_id, loss, accuracy, auc, n, created_at)
         VALUES (@task_id, @version, @site_id, @loss, @accuracy, @auc, @n, @created_at)
         ON CONFLICT (task_id, version, site_id) DO UPDATE SET
           loss = excluded.loss, accuracy = excluded.accuracy, auc = excluded.auc, n = excluded.n,
           created_at = excluded.created_at`,
      )
      .run(row);
  }

  evaluations(taskId: string, version: number): EvaluationRow[] {
    return this.db
      .prepare('SELECT * FROM evaluations WHERE task_id = ? AND version = ? ORDER BY site_id')
      .all(taskId, version) as EvaluationRow[];
  }
}
