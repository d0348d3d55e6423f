// Tasks in the site database (table `tasks`, store migration 4). The definition is kept as JSON and
// validated again on every read, so a row written by another version fails loudly, not oddly.
import type { Database } from 'better-sqlite3';
import { AuditLog, commandActor, type JsonValue } from '../audit/index.ts';
import { CohortError } from './cohort-error.ts';
import { parseTaskDefinition, type TaskDefinition } from './task-definition.ts';

export interface StoredTask {
  definition: TaskDefinition;
  isDefault: boolean;
  /** Studies with a label for this task. */
  labelledStudies: number;
  createdAt: string;
  updatedAt: string;
}

export interface AddTaskOptions {
  /** Replace a task with the same id (labels outside the new label set are dropped). */
  replace?: boolean;
  /** Make it the default task (used when a command is given no --task). */
  makeDefault?: boolean;
  actor?: string;
}

export interface AddTaskResult {
  created: boolean;
  /** Labels removed because the new label set no longer has their value. */
  labelsDropped: number;
}

interface TaskRow {
  id: string;
  definition: string;
  is_default: number;
  created_at: string;
  updated_at: string;
  labelled: number;
}

const SELECT_TASKS = `SELECT t.id, t.definition, t.is_default, t.created_at, t.updated_at,
  (SELECT COUNT(*) FROM labels l WHERE l.task_id = t.id) AS labelled FROM tasks t`;

export class TaskStore {
  readonly #db: Database;
  readonly #clock: () => Date;

  constructor(db: Database, clock: () => Date = () => new Date()) {
    this.#db = db;
    this.#clock = clock;
  }

  add(definition: TaskDefinition, options: AddTaskOptions = {}): AddTaskResult {
    const task = parseTaskDefinition(definition);
    const now = this.#clock().toISOString();
    return this.#db
      .transaction((): AddTaskResult => {
        const existing = this.#row(task.id);
        if (existing && !options.replace) {
          throw new CohortError(
            'task-exists',
            `A task "${task.id}" already exists. Give the new one another id, or replace it (task add --replace).`,
          );
        }
        if (options.makeDefault)
          this.#db.prepare('UPDATE tasks SET is_default = 0 WHERE is_default = 1').run();
        const isDefault = options.makeDefault || existing?.is_default === 1 ? 1 : 0;
        this.#db
          .prepare(
            `INSERT INTO tasks (id, name, definition, is_default, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, definition = excluded.definition,
               is_default = excluded.is_default, updated_at = excluded.updated_at`,
          )
          .run(task.id, task.name, JSON.stringify(task), isDefault, now, now);
        const placeholders = task.labels.map(() => '?').join(', ');
        const labelsDropped = existing
          ? this.#db
              .prepare(`DELETE FROM labels WHERE task_id = ? AND label NOT IN (${placeholders})`)
              .run(task.id, ...task.labels).changes
          : 0;
        new AuditLog(this.#db, this.#clock).append({
          type: existing ? 'task.replaced' : 'task.added',
          actor: options.actor ?? commandActor(),
          detail: {
            taskId: task.id,
            labels: task.labels,
            filters: JSON.parse(JSON.stringify(task.filters)) as JsonValue,
            consentScope: task.consentScope ?? null,
            validationFraction: task.validationFraction,
            seed: task.seed,
            isDefault: isDefault === 1,
            labelsDropped,
          },
        });
        return { created: !existing, labelsDropped };
      })
      .immediate();
  }

  get(id: string): StoredTask | null {
    const row = this.#row(id);
    return row ? toStoredTask(row) : null;
  }

  list(): StoredTask[] {
    return this.#db.prepare<[], TaskRow>(`${SELECT_TASKS} ORDER BY t.id`).all().map(toStoredTask);
  }

  /**
   * The task a command means: the one named, else the default task, else the only task there is.
   * Throws a CohortError that says what to do when there is none or more than one to choose from.
   */
  resolve(id?: string): TaskDefinition {
    if (id !== undefined) {
      const task = this.get(id);
      if (!task) {
        const known = this.list().map((t) => t.definition.id);
        throw new CohortError(
          'task-not-found',
          `There is no task "${id}" at this site${known.length > 0 ? ` (tasks: ${known.join(', ')})` : ''}. ` +
            'Add it with radfed site task add --file task.json.',
        );
      }
      return task.definition;
    }
    const tasks = this.list();
    const chosen = tasks.find((t) => t.isDefault) ?? (tasks.length === 1 ? tasks[0] : undefined);
    if (chosen) return chosen.definition;
    if (tasks.length === 0) {
      throw new CohortError(
        'no-task',
        'This site has no task yet. Add one with radfed site task add --file task.json.',
      );
    }
    throw new CohortError(
      'task-ambiguous',
      `This site has ${tasks.length} tasks and none is the default: name one with --task ` +
        `(${tasks.map((t) => t.definition.id).join(', ')}).`,
    );
  }

  #row(id: string): TaskRow | undefined {
    return this.#db.prepare<[string], TaskRow>(`${SELECT_TASKS} WHERE t.id = ?`).get(id);
  }
}

function toStoredTask(row: TaskRow): StoredTask {
  return {
    definition: parseTaskDefinition(JSON.parse(row.definition), `the stored task "${row.id}"`),
    isDefault: row.is_default === 1,
    labelledStudies: row.labelled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
