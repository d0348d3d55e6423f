// The SQL of homomorphic aggregation at the hub: one row per task naming the key message the hub
// carries (its bytes are a blob). Every query of hub/homomorphic is here, in the portable subset
// (named @parameters, INSERT … ON CONFLICT) that the store's SqlEngine takes, so the async store
// replaces this class alone.
import type { SqlQueries } from '../store/index.ts';

export interface TaskKeyRow {
  task_id: string;
  /** base64url of the key's random 16-byte id (in the clear in the message). */
  key_id: string;
  maker_site_id: string;
  message_sha256: string;
  /** JSON array of the site ids that have a box in the message. */
  recipients: string;
  updated_at: string;
}

export class TaskKeyRows {
  constructor(private readonly sql: SqlQueries) {}

  taskKey(taskId: string): Promise<TaskKeyRow | undefined> {
    return this.sql.get<TaskKeyRow>('SELECT * FROM homomorphic_task_keys WHERE task_id = @task_id', {
      task_id: taskId,
    });
  }

  /** Stores the maker's message, or replaces it with a re-sealed one under the same key id. */
  async putTaskKey(row: TaskKeyRow): Promise<void> {
    await this.sql.run(
      `INSERT INTO homomorphic_task_keys (task_id, key_id, maker_site_id, message_sha256, recipients, updated_at)
       VALUES (@task_id, @key_id, @maker_site_id, @message_sha256, @recipients, @updated_at)
       ON CONFLICT (task_id) DO UPDATE SET message_sha256 = excluded.message_sha256,
         recipients = excluded.recipients, updated_at = excluded.updated_at
       WHERE homomorphic_task_keys.key_id = excluded.key_id`,
      { ...row },
    );
  }
}
