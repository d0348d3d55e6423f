// Where a task's trunk checkpoint is kept. The one-process SQLite hub keeps it in its folder
// (trunk-checkpoint-file.ts). A replicated hub keeps it in PostgreSQL, one row per task replaced whole
// at each step, because the replica that takes a trunk over after another dies has only the database in
// common with it. Either way one write holds the trunk and every session's last step together, so a
// step is applied once whichever replica resumes it. (A row of its own rather than the blob store: the
// blobs are content-addressed and never deleted, and a new checkpoint per step would pile up.)
import type { HubContext } from '../hub-context.ts';
import {
  decodeSavedTrunk,
  encodeSavedTrunk,
  readTrunkCheckpoint,
  writeTrunkCheckpoint,
  type SavedTrunk,
} from './trunk-checkpoint-file.ts';

export interface TrunkCheckpoints {
  /** The saved trunk, or null when the task's trunk has never finished a step. */
  read(taskId: string): Promise<SavedTrunk | null>;
  write(taskId: string, owners: ReadonlyMap<string, string>, engine: Uint8Array): Promise<void>;
}

export function trunkCheckpointsFor(ctx: HubContext): TrunkCheckpoints {
  if (ctx.store.sql.engine === 'sqlite') {
    return {
      read: (taskId) => readTrunkCheckpoint(ctx.layout.root, taskId),
      write: (taskId, owners, engine) => writeTrunkCheckpoint(ctx.layout.root, taskId, owners, engine),
    };
  }
  const sql = ctx.store.sql;
  return {
    async read(taskId) {
      const row = await sql.get<{ checkpoint: Buffer }>(
        'SELECT checkpoint FROM split_trunk_checkpoints WHERE task_id = @taskId',
        { taskId },
      );
      if (!row) return null;
      return decodeSavedTrunk(
        row.checkpoint,
        `delete its row from split_trunk_checkpoints (task ${taskId}) to start its trunk again`,
      );
    },
    async write(taskId, owners, engine) {
      await sql.run(
        `INSERT INTO split_trunk_checkpoints (task_id, checkpoint, updated_at)
         VALUES (@taskId, @checkpoint, @updatedAt)
         ON CONFLICT (task_id) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
        { taskId, checkpoint: encodeSavedTrunk(owners, engine), updatedAt: new Date().toISOString() },
      );
    },
  };
}
