// Tasks: created by the coordinator (optionally with initial weights), seen by the sites they name,
// joined by a site once it approved them, stopped by the coordinator.
import { taskChannel } from './hub-events.ts';
import {
  assertFinite,
  decodeWeights,
  FederationError,
  taskDefinitionSchema,
  type JoinRequest,
  type TaskDefinition,
  type TaskView,
} from '../shared/federation/index.ts';
import { isoAt, newId, type HubContext } from './hub-context.ts';
import { badRequest, conflict, notFound } from './hub-errors.ts';
import { insertModelRow, storeModelBlob } from './model-registry.ts';
import { privacyBudgetOf } from './privacy-budget.ts';
import { checkTaskDefinition, describeTaskProblems } from './task-checks.ts';
import { lockKeys, type SiteRow, type TaskRow } from './store/index.ts';
import { discardAbandonedUploads } from './upload-cleanup.ts';

/** The definition as the hub stores it, or a 400 listing every problem (see task-checks.ts). */
export function parseTaskDefinition(input: unknown): TaskDefinition {
  const checked = checkTaskDefinition(input);
  if (!checked.ok) {
    throw badRequest(
      'bad-task',
      `The task definition is not valid:\n${describeTaskProblems(checked.problems)}`,
    );
  }
  return checked.definition;
}

export function definitionOf(task: TaskRow): TaskDefinition {
  return taskDefinitionSchema.parse(JSON.parse(task.definition));
}

/** Creates a task; with initial weights (RFW1 bytes) they become global model version 0. */
export async function createTask(
  ctx: HubContext,
  input: unknown,
  initialWeights?: Uint8Array,
): Promise<TaskRow> {
  const definition = parseTaskDefinition(input);
  const dp = definition.privacy.differentialPrivacy;
  // DP fine-tuning keeps every other layer as the initial model: without one, the first site's fresh
  // random weights would be frozen there for the whole task.
  if (dp?.unit === 'patient' && (dp.trainableLayers ?? 'all') !== 'all' && !initialWeights) {
    throw badRequest(
      'needs-initial-weights',
      `The task trains only some layers under differential privacy (trainableLayers "${dp.trainableLayers}"), ` +
        'so it needs the pre-trained model the other layers keep: create it with its initial weights ' +
        '(radfed hub task create --weights FILE), or set trainableLayers to "all".',
    );
  }
  let blob: { sha256: string; bytes: number } | undefined;
  if (initialWeights) {
    try {
      const weights = decodeWeights(initialWeights);
      assertFinite(weights);
      blob = await storeModelBlob(ctx, weights);
    } catch (error) {
      if (error instanceof FederationError)
        throw badRequest('bad-weights', `The initial weights cannot be used: ${error.message}`);
      throw error;
    }
  }
  const id = newId('task');
  await ctx.store.transaction(async (tx) => {
    await tx.tasks.insertTask({
      id,
      name: definition.name,
      definition: JSON.stringify(definition),
      created_at: isoAt(ctx),
    });
    if (blob) await insertModelRow(ctx, tx, { taskId: id, version: 0, round: 0, ...blob });
  });
  ctx.events.publish(taskChannel(id));
  return (await ctx.store.tasks.task(id)) as TaskRow;
}

/** Finds a task by id, or by name when exactly one task has that name. */
export async function findTask(ctx: HubContext, idOrName: string): Promise<TaskRow> {
  const byId = await ctx.store.tasks.task(idOrName);
  if (byId) return byId;
  const byName = await ctx.store.tasks.tasksByName(idOrName);
  if (byName.length === 1) return byName[0] as TaskRow;
  if (byName.length > 1) {
    throw conflict(
      'ambiguous-task',
      `${byName.length} tasks are named "${idOrName}"; use the task id (radfed hub task list).`,
    );
  }
  throw notFound('no-task', `There is no task "${idOrName}" at this hub (radfed hub task list shows them).`);
}

export async function stopTask(ctx: HubContext, taskId: string): Promise<TaskRow> {
  const task = await findTask(ctx, taskId);
  if (task.state !== 'active') throw conflict('task-not-active', `Task ${task.id} is already ${task.state}.`);
  await ctx.store.transaction(async (tx) => {
    const at = isoAt(ctx);
    await tx.lock(lockKeys.task(task.id));
    const round = await tx.tasks.latestRound(task.id);
    if (round && (round.state === 'open' || round.state === 'collecting' || round.state === 'aggregating')) {
      await tx.lock(lockKeys.round(task.id, round.number));
      await tx.tasks.updateRound(task.id, round.number, round.state, {
        state: 'failed',
        closed_at: at,
        failure_reason: 'The coordinator stopped the task.',
      });
    }
    await tx.tasks.endTask(task.id, 'stopped', at, null);
  });
  await discardAbandonedUploads(ctx); // a stopped task takes no upload: its unfinished ones go now
  ctx.events.publish(taskChannel(task.id));
  return (await ctx.store.tasks.task(task.id)) as TaskRow;
}

export function siteMaySee(task: TaskRow, site: SiteRow): boolean {
  const sites = definitionOf(task).sites;
  return !sites || sites.includes(site.name);
}

/** The task as a site may see it; a task the site is not part of is "not found" to that site. */
export async function taskForSite(ctx: HubContext, taskId: string, site: SiteRow): Promise<TaskRow> {
  const task = await ctx.store.tasks.task(taskId);
  if (!task || !siteMaySee(task, site)) {
    throw notFound(
      'no-task',
      `There is no task ${taskId} for this site; ask the coordinator to include "${site.name}".`,
    );
  }
  return task;
}

export async function tasksForSite(ctx: HubContext, site: SiteRow): Promise<TaskView[]> {
  const views: TaskView[] = [];
  for (const task of await ctx.store.tasks.listTasks()) {
    if (siteMaySee(task, site)) views.push(await taskView(ctx, task, site));
  }
  return views;
}

export async function taskView(ctx: HubContext, task: TaskRow, site: SiteRow | null): Promise<TaskView> {
  return {
    id: task.id,
    state: task.state,
    definition: definitionOf(task),
    createdAt: task.created_at,
    joined: site ? await ctx.store.sites.hasJoined(task.id, site.id) : false,
    latestVersion: (await ctx.store.models.latestModel(task.id))?.version ?? null,
    failureReason: task.failure_reason,
    privacyBudget: await privacyBudgetOf(ctx.store, task.id, definitionOf(task)),
  };
}

/** Joins a site to a task; its declared cohort sizes (if any) bound the examples it may later claim. */
export async function joinTask(ctx: HubContext, taskId: string, site: SiteRow, request: JoinRequest = {}) {
  const task = await taskForSite(ctx, taskId, site);
  if (task.state !== 'active')
    throw conflict('task-not-active', `Task ${task.id} is ${task.state}; it takes no new sites.`);
  const row = await ctx.store.sites.joinTask(task.id, site.id, isoAt(ctx), request.cohort ?? null);
  ctx.events.publish(taskChannel(task.id));
  return { taskId: task.id, siteId: site.id, joinedAt: row.joined_at };
}
