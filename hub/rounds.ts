// The round state machine. Each task has at most one live round:
//   open        the round exists; it waits for a global model and for enough joined sites
//   collecting  sites upload updates until all joined sites did, or the deadline passes (with secure
//               aggregation in SecAgg+ phases: keys, shares, masked inputs, unmasking; hub/secagg)
//   aggregating the updates are being combined (re-run from the stored updates after a crash)
//   published   the new global model is in the registry, signed
//   failed      with a reason (quorum not reached by the deadline, aggregation error, task stopped)
// Every transition is one transaction that takes the round's lock (lockKeys.round: replicas of a hub
// on PostgreSQL never move one round at once) and is guarded by the state it leaves, committed before
// anyone is told; `advanceTask` is idempotent and runs after each event, on a timer, and at startup, so a hub
// killed at any moment continues the same round when it comes back.
import { taskChannel } from './hub-events.ts';
import {
  federationMethod,
  FederationError,
  homomorphicOn,
  type FederationMethod,
  type TaskDefinition,
} from '../shared/federation/index.ts';
import { aggregateRoundUpdates, storeServerState } from './aggregation-service.ts';
import { isoAt, type HubContext } from './hub-context.ts';
import { insertModelRow, storeModelBlob } from './model-registry.ts';
import { advanceSecureRound, secureQuorum, startSecureRound } from './secagg/index.ts';
import { publishEncryptedRound, taskKeyReady } from './homomorphic/index.ts';
import { endTaskIfBudgetReached } from './privacy-budget.ts';
import { fixRoundClipNorm, recordClipBits, type ClipBitSum } from './adaptive-clipping.ts';
import { lockKeys, type HubTransaction, type RoundRow, type TaskRow } from './store/index.ts';
import { definitionOf } from './tasks.ts';
import { sweepUploads } from './upload-cleanup.ts';
import { KeyedSerialQueues } from '../shared/serial-queue.ts';

/** After this many failed rounds in a row the task itself fails: the federation needs attention. */
export const MAX_CONSECUTIVE_FAILED_ROUNDS = 3;

export interface RoundEvent {
  readonly taskId: string;
  readonly round: number;
  readonly state: RoundRow['state'] | 'task-ended';
  readonly updateBytes?: number;
  readonly aggregationMs?: number;
}

// One queue per hub folder and task: a task's rounds are moved on by one call at a time.
const running = new KeyedSerialQueues<string>();

/** Moves a task's rounds on as far as they can go now. Calls for one task run one after another. */
export function advanceTask(
  ctx: HubContext,
  taskId: string,
  onEvent?: (event: RoundEvent) => void,
): Promise<void> {
  const key = `${ctx.layout.root}|${taskId}`;
  return running.run(key, async () => {
    for (let steps = 0; steps < 100; steps += 1) {
      if (!(await step(ctx, taskId, onEvent))) break;
      ctx.events.publish(taskChannel(taskId));
    }
  });
}

export async function advanceAllTasks(ctx: HubContext, onEvent?: (event: RoundEvent) => void): Promise<void> {
  // One task that cannot move (a definition this RadFed cannot read, written by a newer replica) must
  // not hold up the others, nor the sweep: its error is thrown after them, for the tick to log.
  let failed: { error: unknown } | null = null;
  for (const taskId of await ctx.store.tasks.activeTaskIds()) {
    try {
      await advanceTask(ctx, taskId, onEvent);
    } catch (error) {
      failed ??= { error };
    }
  }
  // Runs at start and on every tick: what a closed round, an ended task or a crash left unfinished.
  await sweepUploads(ctx);
  if (failed) throw failed.error;
}

/** Accepted updates the task's rounds need: secure aggregation's quorum, or the method's. */
export function neededUpdates(definition: TaskDefinition): number {
  if (definition.privacy.secureAggregation.enabled) return secureQuorum(definition);
  return federationMethod(definition.strategy).participation.neededUpdates(definition.quorum);
}

async function step(
  ctx: HubContext,
  taskId: string,
  onEvent?: (event: RoundEvent) => void,
): Promise<boolean> {
  const { store } = ctx;
  const task = await store.tasks.task(taskId);
  if (!task || task.state !== 'active') return false;
  const definition = definitionOf(task);
  // The method decides who takes part, what the round waits for and how updates combine.
  const method = federationMethod(definition.strategy);
  const round = await store.tasks.latestRound(taskId);
  const at = isoAt(ctx);

  if (!round || round.state === 'published' || round.state === 'failed') {
    if ((await store.tasks.publishedRoundCount(taskId)) >= definition.rounds) {
      await store.tasks.endTask(taskId, 'completed', at, null);
      onEvent?.({ taskId, round: round?.number ?? 0, state: 'task-ended' });
      return true;
    }
    const recent = (await store.tasks.rounds(taskId)).slice(-MAX_CONSECUTIVE_FAILED_ROUNDS);
    if (recent.length === MAX_CONSECUTIVE_FAILED_ROUNDS && recent.every((r) => r.state === 'failed')) {
      await store.tasks.endTask(
        taskId,
        'failed',
        at,
        `${MAX_CONSECUTIVE_FAILED_ROUNDS} rounds in a row failed; the last: ${round?.failure_reason ?? 'unknown'}`,
      );
      onEvent?.({ taskId, round: round?.number ?? 0, state: 'task-ended' });
      return true;
    }
    // Differential privacy: no round opens that would spend more than the task's ε.
    if (await endTaskIfBudgetReached(ctx, taskId, definition)) {
      onEvent?.({ taskId, round: round?.number ?? 0, state: 'task-ended' });
      return true;
    }
    const number = (round?.number ?? 0) + 1;
    const opened = await store.transaction(async (tx) => {
      await tx.lock(lockKeys.round(taskId, number));
      // Another replica may have opened it first: the latest round decides, read under the lock.
      if ((await tx.tasks.latestRound(taskId))?.number !== round?.number) return false;
      await tx.tasks.insertRound({
        task_id: taskId,
        number,
        base_version: (await tx.models.latestModel(taskId))?.version ?? null,
        opened_at: at,
      });
      // Adaptive clipping: the round's C is fixed as it opens, and stated to the sites with the round.
      await fixRoundClipNorm(tx, taskId, definition, number);
      return true;
    });
    if (opened) onEvent?.({ taskId, round: number, state: 'open' });
    return opened;
  }

  if (round.state === 'open') {
    const latest = await store.models.latestModel(taskId);
    const joined = await store.sites.joinedSites(taskId);
    if (!latest || joined.length < neededUpdates(definition)) return false;
    // Homomorphic: no site can encrypt before the key's maker has sealed the key to every joined site.
    if (homomorphicOn(definition) && !(await taskKeyReady(ctx, taskId))) return false;
    const turn = method.participation.turn(
      joined.map((row) => row.site_id),
      round.number,
    );
    const deadlineAt = new Date(ctx.now() + definition.roundDeadlineSeconds * 1000).toISOString();
    const moved = await store.transaction(async (tx) => {
      await tx.lock(lockKeys.round(taskId, round.number));
      const opened = await tx.tasks.updateRound(taskId, round.number, 'open', {
        state: 'collecting',
        base_version: latest.version,
        turn_site_id: turn,
        collecting_at: at,
        deadline_at: deadlineAt,
      });
      // A secure round collects in phases (keys, shares, masked inputs, unmasking): see hub/secagg.
      if (opened && definition.privacy.secureAggregation.enabled)
        await startSecureRound(ctx, tx, taskId, round.number, deadlineAt);
      return opened;
    });
    if (moved) onEvent?.({ taskId, round: round.number, state: 'collecting' });
    return moved;
  }

  if (round.state === 'collecting' && definition.privacy.secureAggregation.enabled) {
    const moved = await advanceSecureRound(ctx, task, definition, round);
    if (moved === 'aggregating' || moved === 'failed')
      onEvent?.({ taskId, round: round.number, state: moved });
    return moved !== null;
  }
  if (round.state === 'collecting') return closeCollection(ctx, task, definition, method, round, onEvent);
  // One aggregation of a round at a time, across replicas: another that finds it running leaves it
  // (its publish is once anyway, under the round's lock; this spares the CPU and memory of doing it
  // twice). A replica killed mid-aggregation lets go, and the next tick elsewhere takes it up.
  const published = await store.sql.exclusively(lockKeys.aggregation(taskId, round.number), () =>
    aggregateAndPublish(ctx, task, definition, method, round, onEvent),
  );
  return published ?? false;
}

async function closeCollection(
  ctx: HubContext,
  task: TaskRow,
  definition: TaskDefinition,
  method: FederationMethod,
  round: RoundRow,
  onEvent?: (event: RoundEvent) => void,
): Promise<boolean> {
  const moved = await ctx.store.transaction(async (tx) => {
    await tx.lock(lockKeys.round(task.id, round.number));
    return closeCollectionIn(ctx, tx, task, definition, method, round);
  });
  if (moved) onEvent?.({ taskId: task.id, round: round.number, state: moved });
  return moved !== null;
}

/** The collecting round's next state, decided and stored under its lock; null when it stays. */
async function closeCollectionIn(
  ctx: HubContext,
  tx: HubTransaction,
  task: TaskRow,
  definition: TaskDefinition,
  method: FederationMethod,
  round: RoundRow,
): Promise<'aggregating' | 'failed' | null> {
  const accepted = await tx.uploads.acceptedUpdates(task.id, round.number);
  const have = new Set(accepted.map((submission) => submission.site_id));
  const need = neededUpdates(definition);
  const expected = method.participation.awaited(
    (await tx.sites.joinedSites(task.id)).map((row) => row.site_id),
    round.turn_site_id,
  );
  const allIn = expected.every((siteId) => have.has(siteId));
  const deadlinePassed = round.deadline_at !== null && ctx.now() >= Date.parse(round.deadline_at);
  const at = isoAt(ctx);
  if ((allIn || deadlinePassed) && accepted.length >= need) {
    const moved = await tx.tasks.updateRound(task.id, round.number, 'collecting', {
      state: 'aggregating',
      aggregating_at: at,
    });
    return moved ? 'aggregating' : null;
  }
  if (!deadlinePassed) return null;
  const missing: string[] = [];
  for (const siteId of expected) {
    if (!have.has(siteId)) missing.push((await tx.sites.site(siteId))?.name ?? siteId);
  }
  const reason = method.participation.deadlineMissed({
    accepted: accepted.length,
    needed: need,
    missingNames: missing,
  });
  const moved = await tx.tasks.updateRound(task.id, round.number, 'collecting', {
    state: 'failed',
    closed_at: at,
    failure_reason: reason,
  });
  return moved ? 'failed' : null;
}

async function aggregateAndPublish(
  ctx: HubContext,
  task: TaskRow,
  definition: TaskDefinition,
  method: FederationMethod,
  round: RoundRow,
  onEvent?: (event: RoundEvent) => void,
): Promise<boolean> {
  // Homomorphic: the hub adds ciphertexts and publishes their sum, which only the sites can read.
  if (homomorphicOn(definition)) return publishEncryptedRound(ctx, task, round, onEvent);
  const { store } = ctx;
  const started = performance.now();
  const accepted = await store.uploads.acceptedUpdates(task.id, round.number);
  let published: {
    weights: Awaited<ReturnType<typeof storeModelBlob>>;
    state: Awaited<ReturnType<typeof storeServerState>>;
    bytes: number;
    clipBits: ClipBitSum | null;
  };
  try {
    const result = await aggregateRoundUpdates(ctx, task, definition, method, round, accepted);
    published = {
      weights: await storeModelBlob(ctx, result.weights),
      state: await storeServerState(ctx, method, result.serverState),
      bytes: result.updateBytes,
      clipBits: result.clipBits,
    };
  } catch (error) {
    const why =
      error instanceof FederationError
        ? error.message
        : 'the hub failed while combining the updates (see its log)';
    const moved = await store.transaction(async (tx) => {
      await tx.lock(lockKeys.round(task.id, round.number));
      return tx.tasks.updateRound(task.id, round.number, 'aggregating', {
        state: 'failed',
        closed_at: isoAt(ctx),
        failure_reason: `Aggregation failed: ${why}`,
      });
    });
    if (moved) onEvent?.({ taskId: task.id, round: round.number, state: 'failed' });
    return moved;
  }
  // Publishing happens once: under the round's lock, and only from 'aggregating' (a replica that
  // aggregated the same round a moment later finds it published and leaves its blob unreferenced).
  const committed = await store.transaction(async (tx) => {
    await tx.lock(lockKeys.round(task.id, round.number));
    const latest = await tx.tasks.task(task.id);
    if (latest?.state !== 'active') return false;
    const moved = await tx.tasks.updateRound(task.id, round.number, 'aggregating', {
      state: 'published',
      closed_at: isoAt(ctx),
    });
    if (!moved) return false;
    const version = ((await tx.models.latestModel(task.id))?.version ?? -1) + 1;
    await insertModelRow(ctx, tx, { taskId: task.id, version, round: round.number, ...published.weights });
    await tx.tasks.setServerState(task.id, published.state.sha256, published.state.step);
    if (published.clipBits) await recordClipBits(tx, task.id, round.number, published.clipBits);
    return true;
  });
  if (committed) {
    onEvent?.({
      taskId: task.id,
      round: round.number,
      state: 'published',
      updateBytes: published.bytes,
      aggregationMs: performance.now() - started,
    });
  }
  return committed;
}
