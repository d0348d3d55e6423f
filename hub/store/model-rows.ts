// The model registry: every global model version of a task, and the sites' evaluations of each.
import type { SqlQueries } from './sql-engine.ts';

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
  constructor(private readonly sql: SqlQueries) {}

  async insertModel(row: ModelRow): Promise<void> {
    await this.sql.run(
      `INSERT INTO models (task_id, version, round, blob_sha256, signature, bytes, created_at)
       VALUES (@task_id, @version, @round, @blob_sha256, @signature, @bytes, @created_at)`,
      { ...row },
    );
  }

  model(taskId: string, version: number): Promise<ModelRow | undefined> {
    return this.sql.get<ModelRow>('SELECT * FROM models WHERE task_id = @taskId AND version = @version', {
      taskId,
      version,
    });
  }

  latestModel(taskId: string): Promise<ModelRow | undefined> {
    return this.sql.get<ModelRow>(
      'SELECT * FROM models WHERE task_id = @taskId ORDER BY version DESC LIMIT 1',
      { taskId },
    );
  }

  models(taskId: string): Promise<ModelRow[]> {
    return this.sql.all<ModelRow>('SELECT * FROM models WHERE task_id = @taskId ORDER BY version', {
      taskId,
    });
  }

  /** One evaluation per site and version: a second post replaces the first. */
  async upsertEvaluation(row: EvaluationRow): Promise<void> {
    await this.sql.run(
      `INSERT INTO evaluations (task_id, version, site_id, loss, accuracy, auc, n, created_at)
       VALUES (@task_id, @version, @site_id, @loss, @accuracy, @auc, @n, @created_at)
       ON CONFLICT (task_id, version, site_id) DO UPDATE SET
         loss = excluded.loss, accuracy = excluded.accuracy, auc = excluded.auc, n = excluded.n,
         created_at = excluded.created_at`,
      { ...row },
    );
  }

  evaluations(taskId: string, version: number): Promise<EvaluationRow[]> {
    return this.sql.all<EvaluationRow>(
      'SELECT * FROM evaluations WHERE task_id = @taskId AND version = @version ORDER BY site_id',
      { taskId, version },
    );
  }
}
