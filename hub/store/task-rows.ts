// Tasks and their rounds. Round states: open → collecting → aggregating → published, or failed.
import type { RoundState, TaskState } from '../../shared/federation/index.ts';
import type { SqlQueries } from './sql-engine.ts';

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
  constructor(private readonly sql: SqlQueries) {}

  async insertTask(row: Pick<TaskRow, 'id' | 'name' | 'definition' | 'created_at'>): Promise<void> {
    await this.sql.run(
      `INSERT INTO tasks (id, name, definition, state, created_at) VALUES (@id, @name, @definition, 'active', @created_at)`,
      { id: row.id, name: row.name, definition: row.definition, created_at: row.created_at },
    );
  }

  task(id: string): Promise<TaskRow | undefined> {
    return this.sql.get<TaskRow>('SELECT * FROM tasks WHERE id = @id', { id });
  }

  tasksByName(name: string): Promise<TaskRow[]> {
    return this.sql.all<TaskRow>('SELECT * FROM tasks WHERE name = @name ORDER BY created_at', { name });
  }

  listTasks(): Promise<TaskRow[]> {
    return this.sql.all<TaskRow>('SELECT * FROM tasks ORDER BY created_at, id');
  }

  async activeTaskIds(): Promise<string[]> {
    const rows = await this.sql.all<{ id: string }>("SELECT id FROM tasks WHERE state = 'active'");
    return rows.map((row) => row.id);
  }

  /** Ends an active task; false when it had ended already. */
  async endTask(
    id: string,
    state: Exclude<TaskState, 'active'>,
    at: string,
    reason: string | null,
  ): Promise<boolean> {
    const result = await this.sql.run(
      "UPDATE tasks SET state = @state, ended_at = @at, failure_reason = @reason WHERE id = @id AND state = 'active'",
      { state, at, reason, id },
    );
    return result.changes === 1;
  }

  async setServerState(id: string, sha256: string | null, step: number | null): Promise<void> {
    await this.sql.run(
      'UPDATE tasks SET server_state_sha256 = @sha256, server_state_step = @step WHERE id = @id',
      { sha256, step, id },
    );
  }

  async insertRound(row: Pick<RoundRow, 'task_id' | 'number' | 'base_version' | 'opened_at'>): Promise<void> {
    await this.sql.run(
      `INSERT INTO rounds (task_id, number, state, base_version, opened_at)
       VALUES (@task_id, @number, 'open', @base_version, @opened_at)`,
      { task_id: row.task_id, number: row.number, base_version: row.base_version, opened_at: row.opened_at },
    );
  }

  round(taskId: string, number: number): Promise<RoundRow | undefined> {
    return this.sql.get<RoundRow>('SELECT * FROM rounds WHERE task_id = @taskId AND number = @number', {
      taskId,
      number,
    });
  }

  latestRound(taskId: string): Promise<RoundRow | undefined> {
    return this.sql.get<RoundRow>(
      'SELECT * FROM rounds WHERE task_id = @taskId ORDER BY number DESC LIMIT 1',
      { taskId },
    );
  }

  rounds(taskId: string): Promise<RoundRow[]> {
    return this.sql.all<RoundRow>('SELECT * FROM rounds WHERE task_id = @taskId ORDER BY number', { taskId });
  }

  /** Moves a round on, only from the state the caller saw (false when something else moved it first). */
  async updateRound(
    taskId: string,
    number: number,
    from: RoundState,
    changes: Partial<RoundRow>,
  ): Promise<boolean> {
    const keys = Object.keys(changes) as (keyof RoundRow)[];
    const assignments = keys.map((key) => `${key} = @${key}`).join(', ');
    const result = await this.sql.run(
      `UPDATE rounds SET ${assignments} WHERE task_id = @task_id_ AND number = @number_ AND state = @from_`,
      {
        ...(changes as Record<string, string | number | null>),
        task_id_: taskId,
        number_: number,
        from_: from,
      },
    );
    return result.changes === 1;
  }

  async publishedRoundCount(taskId: string): Promise<number> {
    const row = await this.sql.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM rounds WHERE task_id = @taskId AND state = 'published'",
      { taskId },
    );
    return row?.n ?? 0;
  }
}
