// Tasks and their rounds. Round states: open → collecting → aggregating → published, or failed.
import type { RoundState, TaskState } from '../../shared/federation/index.ts';
import type { HubDatabase } from './hub-database.ts';

export interface TaskRow {
  id: string;
  name: string;
  definition: string;
  state: TaskState;
  created_at: string;
  ended_at: string | null;
  failure_reason: string | null;
  server_state_sha256: string | null;
  server_state_step: number | null;
}

export interface RoundRow {
  task_id: string;
  number: number;
  state: RoundState;
  base_version: number | null;
  turn_site_id: string | null;
  opened_at: string;
  collecting_at: string | null;
  deadline_at: string | null;
  aggregating_at: string | null;
  closed_at: string | null;
  failure_reason: string | null;
}

export class TaskRows {
  constructor(private readonly db: HubDatabase) {}

  insertTask(row: Pick<TaskRow, 'id' | 'name' | 'definition' | 'created_at'>): void {
    this.db
      .prepare(
        `INSERT INTO tasks (id, name, definition, state, created_at) VALUES (@id, @name, @definition, 'active', @created_at)`,
      )
      .run(row);
  }

  task(id: string): TaskRow | undefined {
    return this.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
  }

  tasksByName(name: string): TaskRow[] {
    return this.db.prepare('SELECT * FROM tasks WHERE name = ? ORDER BY created_at').all(name) as TaskRow[];
  }

  listTasks(): TaskRow[] {
    return this.db.prepare('SELECT * FROM tasks ORDER BY created_at, id').all() as TaskRow[];
  }

  activeTaskIds(): string[] {
    return (this.db.prepare("SELECT id FROM tasks WHERE state = 'active'").all() as { id: string }[]).map(
      (row) => row.id,
    );
  }

  endTask(id: string, state: Exclude<TaskState, 'active'>, at: string, reason: string | null): void {
    this.db
      .prepare(
        "UPDATE tasks SET state = ?, ended_at = ?, failure_reason = ? WHERE id = ? AND state = 'active'",
      )
      .run(state, at, reason, id);
  }

  setServerState(id: string, sha256: string | null, step: number | null): void {
    this.db
      .prepare('UPDATE tasks SET server_state_sha256 = ?, server_state_step = ? WHERE id = ?')
      .run(sha256, step, id);
  }

  insertRound(row: Pick<RoundRow, 'task_id' | 'number' | 'base_version' | 'opened_at'>): void {
    this.db
      .prepare(
        `INSERT INTO rounds (task_id, number, state, base_version, opened_at)
         VALUES (@task_id, @number, 'open', @base_version, @opened_at)`,
      )
      .run(row);
  }

  round(taskId: string, number: number): RoundRow | undefined {
    return this.db.prepare('SELECT * FROM rounds WHERE task_id = ? AND number = ?').get(taskId, number) as
      RoundRow | undefined;
  }

  latestRound(taskId: string): RoundRow | undefined {
    return this.db
      .prepare('SELECT * FROM rounds WHERE task_id = ? ORDER BY number DESC LIMIT 1')
      .get(taskId) as RoundRow | undefined;
  }

  rounds(taskId: string): RoundRow[] {
    return this.db
      .prepare('SELECT * FROM rounds WHERE task_id = ? ORDER BY number')
      .all(taskId) as RoundRow[];
  }

  /** Moves a round on, only from the state the caller saw (false when something else moved it first). */
  updateRound(taskId: string, number: number, from: RoundState, changes: Partial<RoundRow>): boolean {
    const keys = Object.keys(changes) as (keyof RoundRow)[];
    const assignments = keys.map((key) => `${key} = @${key}`).join(', ');
    return (
      this.db
        .prepare(
          `UPDATE rounds SET ${assignments} WHERE task_id = @task_id_ AND number = @number_ AND state = @from_`,
        )
        .run({ ...changes, task_id_: taskId, number_: number, from_: from }).changes === 1
    );
  }

  publishedRoundCount(taskId: string): number {
    return (
      this.db
        .prepare("SELECT COUNT(*) AS n FROM rounds WHERE task_id = ? AND state = 'published'")
        .get(taskId) as {
        n: number;
      }
    ).n;
  }
}
