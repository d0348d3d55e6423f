// Approval of a federated task at the site (table federation_approvals, store migration 5). The
// operator sees the task in plain words, then approves it; the approval records the exact definition
// seen (and its hash, also in the audit log), and which of the site's own tasks supplies the cohort and
// labels. The federation loop trains only for approved tasks whose definition still matches: compared
// as this release reads both (approvedAsDefined), so a field a later release adds with a default does
// not make an earlier approval look changed, while any value the operator approved still counts.
import type { Database } from 'better-sqlite3';
import {
  canonicalJson,
  taskDefinitionSchema,
  type TaskDefinition,
  type TaskView,
} from '../../../shared/federation/index.ts';
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import { AuditLog } from '../audit/index.ts';
import { TaskStore, type TaskDefinition as CohortTask } from '../cohort/index.ts';
import { SyncError } from './sync-error.ts';

export interface Approval {
  readonly taskId: string;
  readonly taskName: string;
  readonly definitionSha256: string;
  readonly definition: TaskDefinition;
  readonly cohortTaskId: string;
  readonly approvedAt: string;
  readonly approvedBy: string;
}

interface ApprovalRow {
  task_id: string;
  task_name: string;
  definition_sha256: string;
  definition: string;
  cohort_task_id: string;
  approved_at: string;
  approved_by: string;
}

export function definitionSha256(definition: TaskDefinition): string {
  return sha256Hex(canonicalJson(definition));
}

/**
 * The site task whose cohort a federated task trains on: the one named, else the site's default (or
 * only) task. Its labels must be the federated task's, in the same order (the order is the class index).
 */
export function cohortTaskFor(db: Database, definition: TaskDefinition, cohortTaskId?: string): CohortTask {
  const store = new TaskStore(db);
  const local = store.resolve(cohortTaskId);
  const same =
    local.labels.length === definition.labels.length &&
    local.labels.every((label, i) => label.toLowerCase() === definition.labels[i]!.toLowerCase());
  if (!same) {
    throw new SyncError(
      'task-mismatch',
      `The federated task's labels are ${definition.labels.join(', ')} (in that order), but this site's task ` +
        `"${local.id}" has ${local.labels.join(', ')}. Name a site task with the same labels with --cohort, or ` +
        'add one (radfed site task add) and import its labels.',
    );
  }
  return local;
}

export function recordApproval(
  db: Database,
  options: { view: TaskView; cohortTaskId: string; actor: string; clock?: () => Date },
): Approval {
  const clock = options.clock ?? (() => new Date());
  const { view } = options;
  const approval: Approval = {
    taskId: view.id,
    taskName: view.definition.name,
    definitionSha256: definitionSha256(view.definition),
    definition: view.definition,
    cohortTaskId: options.cohortTaskId,
    approvedAt: clock().toISOString(),
    approvedBy: options.actor,
  };
  db.transaction(() => {
    db.prepare(
      `INSERT INTO federation_approvals (task_id, task_name, definition_sha256, definition, cohort_task_id, approved_at, approved_by)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (task_id) DO UPDATE SET task_name = excluded.task_name, definition_sha256 = excluded.definition_sha256,
         definition = excluded.definition, cohort_task_id = excluded.cohort_task_id, approved_at = excluded.approved_at,
         approved_by = excluded.approved_by`,
    ).run(
      approval.taskId,
      approval.taskName,
      approval.definitionSha256,
      JSON.stringify(approval.definition),
      approval.cohortTaskId,
      approval.approvedAt,
      approval.approvedBy,
    );
    new AuditLog(db, clock).append({
      type: 'federation.task-approved',
      actor: options.actor,
      detail: {
        taskId: approval.taskId,
        taskName: approval.taskName,
        definitionSha256: approval.definitionSha256,
        cohortTaskId: approval.cohortTaskId,
        model: view.definition.model.name,
        rounds: view.definition.rounds,
        compression: view.definition.compression,
      },
    });
  })();
  return approval;
}

/**
 * Withdraws this site's approval of a task: the loop no longer takes part in it (it needs a new approval
 * to train again); an audit entry says who withdrew it. Returns the approval that was withdrawn.
 */
export function withdrawApproval(
  db: Database,
  options: { taskId: string; actor: string; clock?: () => Date },
): Approval {
  const clock = options.clock ?? (() => new Date());
  return db.transaction(() => {
    const approval = approvalOf(db, options.taskId);
    if (!approval) {
      throw new SyncError(
        'not-approved',
        `Task ${options.taskId} is not approved at this site, so there is no approval to withdraw.`,
      );
    }
    db.prepare('DELETE FROM federation_approvals WHERE task_id = ?').run(options.taskId);
    new AuditLog(db, clock).append({
      type: 'federation.approval-withdrawn',
      actor: options.actor,
      detail: {
        taskId: approval.taskId,
        taskName: approval.taskName,
        approvedAt: approval.approvedAt,
        approvedBy: approval.approvedBy,
      },
    });
    return approval;
  })();
}

export function listApprovals(db: Database): Approval[] {
  return db
    .prepare<[], ApprovalRow>('SELECT * FROM federation_approvals ORDER BY approved_at, task_id')
    .all()
    .map(toApproval);
}

export function approvalOf(db: Database, taskId: string): Approval | null {
  const row = db
    .prepare<[string], ApprovalRow>('SELECT * FROM federation_approvals WHERE task_id = ?')
    .get(taskId);
  return row ? toApproval(row) : null;
}

/**
 * Whether the hub's definition is the one approved here. Not by the hash stored at approval: that was
 * taken over the definition as the release of the day read it, defaults included, so a field a later
 * release added (with a default) made every earlier approval look "changed at the hub". Both sides
 * are read by this release instead (toApproval parses the stored definition with today's schema), so
 * a field absent then gets the same default on both; a value the hub changed, or a new field the hub
 * set to something other than its default, still differs.
 */
export function approvedAsDefined(approval: Approval, definition: TaskDefinition): boolean {
  return definitionSha256(approval.definition) === definitionSha256(definition);
}

/** Throws unless the task was approved here as the hub now defines it. */
export function requireApproval(db: Database, view: TaskView): Approval {
  const approval = approvalOf(db, view.id);
  if (!approval) {
    throw new SyncError(
      'not-approved',
      `Task ${view.id} ("${view.definition.name}") has not been approved at this site; nothing is trained for it. ` +
        `Review it and approve it with: radfed site approve --task ${view.id}`,
    );
  }
  if (!storedDefinitionIntact(db, view.id)) {
    throw new SyncError(
      'not-approved',
      `This site's record of its approval of task ${view.id} does not match the hash it was approved under, so it ` +
        `is not trusted; nothing is trained for it until it is approved again: radfed site approve --task ${view.id}`,
    );
  }
  if (!approvedAsDefined(approval, view.definition)) {
    throw new SyncError(
      'not-approved',
      `Task ${view.id} is no longer what this site approved (its definition changed at the hub); nothing is trained ` +
        `for it until it is approved again: radfed site approve --task ${view.id}`,
    );
  }
  return approval;
}

/**
 * Whether the stored definition is the one the stored hash (and the audit log's approval entry) was
 * taken over: since the comparison reads the stored definition rather than the hash, the record must
 * be the one approved. Rows of every earlier release pass: their hash is of the same JSON.
 */
function storedDefinitionIntact(db: Database, taskId: string): boolean {
  const row = db
    .prepare<[string], Pick<ApprovalRow, 'definition' | 'definition_sha256'>>(
      'SELECT definition, definition_sha256 FROM federation_approvals WHERE task_id = ?',
    )
    .get(taskId);
  if (!row) return false;
  try {
    return sha256Hex(canonicalJson(JSON.parse(row.definition))) === row.definition_sha256;
  } catch {
    return false;
  }
}

function toApproval(row: ApprovalRow): Approval {
  return {
    taskId: row.task_id,
    taskName: row.task_name,
    definitionSha256: row.definition_sha256,
    definition: taskDefinitionSchema.parse(JSON.parse(row.definition)),
    cohortTaskId: row.cohort_task_id,
    approvedAt: row.approved_at,
    approvedBy: row.approved_by,
  };
}
