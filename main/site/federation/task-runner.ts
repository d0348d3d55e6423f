// The life of one approved task at this site: join it, then wait for rounds (long-polling the hub),
// supply the initial model if the task has none, work on each round it may send to, evaluate each
// new global model on the site's validation images, and record which patients' data each published
// round used. Returns when the task ends at the hub or the signal stops it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  federationMethod,
  homomorphicOn,
  HubRequestError,
  reportableLoss,
  type RoundView,
} from '../../../shared/federation/index.ts';
import { requireApproval, type Approval } from './approvals.ts';
import { evaluateWeights } from './evaluate-weights.ts';
import { globalModelAt } from './homomorphic-model.ts';
import { keepTaskKey } from './homomorphic-key.ts';
import { recordParticipation } from './participation.ts';
import { withRetries } from './retry.ts';
import { cohortForTraining, workOnRound, type RoundContext } from './round-work.ts';
import { SyncError } from './sync-error.ts';
import { loadTaskState, saveTaskState, taskFolder } from './task-state.ts';
import { initialModelWeights, trainingTaskFor } from './training-task.ts';
import { sendSealedUpdate } from './update-upload.ts';
import { auditInitialModelSent } from './update-audit.ts';

export type TaskRunnerContext = Omit<
  RoundContext,
  'taskId' | 'taskDir' | 'definition' | 'trainingTask' | 'cohortTaskId' | 'state'
> & {
  readonly tasksRoot: string;
  /** Seconds one long-poll waits at the hub for something to change. */
  readonly waitSeconds: number;
};

export interface TaskOutcome {
  readonly taskId: string;
  readonly state: string;
  readonly reason: string | null;
}

export async function runTask(base: TaskRunnerContext, approval: Approval): Promise<TaskOutcome> {
  const { client, emit } = base;
  const taskId = approval.taskId;
  const view = await withRetries(() => client.getTask(taskId), base.retry);
  requireApproval(base.site.database, view);
  const taskDir = taskFolder(base.tasksRoot, taskId);
  mkdirSync(taskDir, { recursive: true });
  const ctx: RoundContext = {
    ...base,
    taskId,
    taskDir,
    definition: view.definition,
    trainingTask: trainingTaskFor(taskId, view.definition),
    cohortTaskId: approval.cohortTaskId,
    state: loadTaskState(taskDir, taskId),
  };
  // Joining declares the cohort's sizes: the hub counts no more examples than that behind this site's
  // updates and metrics. Joined already, the site joins again so the declaration follows its cohort.
  let declared = declaredCohort(ctx);
  if (view.state === 'active' && (!view.joined || declared))
    await withRetries(() => client.joinTask(taskId, declared), base.retry);
  // The cohort changes while the agent runs (an import, new labels or consent): declare it again
  // before an update or an evaluation counts more examples than the hub was told, which it refuses.
  const declareCurrentCohort = async () => {
    const now = declaredCohort(ctx);
    if (!now || (now.train === declared?.train && now.validation === declared.validation)) return;
    await withRetries(() => client.joinTask(taskId, now), base.retry);
    declared = now;
  };
  emit({ type: 'task-started', taskId, name: view.definition.name, joined: view.joined });

  let revision: string | undefined;
  let offeredInitial = false;
  const givenUp = new Set<number>();
  for (;;) {
    if (base.signal.aborted) throw new SyncError('cancelled', 'Stopped on request.');
    const round = await withRetries(
      () =>
        client.getRound(
          taskId,
          revision === undefined ? {} : { after: revision, waitSeconds: base.waitSeconds },
        ),
      base.retry,
    );
    if (round.revision !== revision) {
      emit({
        type: 'round-state',
        taskId,
        round: round.round,
        state: round.state,
        accepted: round.acceptedUpdates,
        quorum: round.quorum,
        joined: round.joinedSites,
      });
    }
    revision = round.revision;
    await settlePending(ctx, round);
    // Homomorphic: make, re-seal or receive the task key (the round opens once every site has it);
    // without it this site can neither read the published models nor encrypt an update yet.
    const keyMissing =
      homomorphicOn(ctx.definition) && round.latestVersion !== null && (await keepTaskKey(ctx)) === null;
    // Split learning's published model holds the sites' segments only (the trunk is the hub's), so a
    // site cannot evaluate it alone until the session has an evaluation exchange.
    if (
      !keyMissing &&
      federationMethod(ctx.definition.strategy).rhythm !== 'step' &&
      round.latestVersion !== null &&
      round.latestVersion >= 1 &&
      round.latestVersion !== ctx.state.lastEvaluatedVersion
    ) {
      if (round.taskState === 'active') await declareCurrentCohort();
      await evaluateVersion(ctx, round.latestVersion);
    }
    if (round.taskState !== 'active') {
      const outcome = { taskId, state: round.taskState, reason: round.failureReason };
      emit({ type: 'task-ended', ...outcome });
      return outcome;
    }
    if (round.needsInitialModel && !offeredInitial) {
      offeredInitial = true;
      await offerInitialModel(ctx);
      revision = undefined;
      continue;
    }
    if (
      round.mayUpload &&
      !keyMissing &&
      round.round !== null &&
      round.baseVersion !== null &&
      !givenUp.has(round.round)
    ) {
      await declareCurrentCohort();
      try {
        await workOnRound(ctx, round.round, round.baseVersion, round.clipNorm);
      } catch (error) {
        if (!(error instanceof SyncError) || error.code === 'cancelled') throw error;
        // This round cannot be done here (no cohort, a refusal the hub would repeat): say so, wait for the next.
        givenUp.add(round.round);
        emit({ type: 'problem', taskId, message: error.message });
      }
      revision = undefined;
    }
  }
}

/** The sizes of the cohort this site trains and evaluates on; undefined while it has no training images. */
function declaredCohort(ctx: RoundContext): { train: number; validation: number } | undefined {
  try {
    const { train, validation } = cohortForTraining(ctx);
    return { train: train.length, validation: validation.length };
  } catch (error) {
    if (error instanceof SyncError) return undefined; // no images yet: the task's cap applies
    throw error;
  }
}

/** Rounds this site sent to: once published, note which patients' data they used; if they failed, forget them. */
async function settlePending(ctx: RoundContext, view: RoundView): Promise<void> {
  const { state } = ctx;
  if (state.pending.length === 0) return;
  const kept = [];
  for (const pending of state.pending) {
    const expected = pending.baseVersion + 1;
    if (view.latestVersion !== null && view.latestVersion >= expected) {
      const meta = await withRetries(() => ctx.client.getModelMeta(ctx.taskId, expected), ctx.retry);
      if (meta.round === pending.round) {
        recordParticipation(ctx.site.database, {
          taskId: ctx.taskId,
          round: pending.round,
          patients: pending.patients,
          completedAt: meta.createdAt,
        });
        ctx.emit({
          type: 'round-published',
          taskId: ctx.taskId,
          round: pending.round,
          version: meta.version,
          patients: new Set(pending.patients).size,
        });
      }
      continue;
    }
    const movedOn = view.round !== null && view.round > pending.round;
    if (movedOn || view.taskState !== 'active') continue; // the round failed: the update was not used
    kept.push(pending);
  }
  state.pending = kept;
  saveTaskState(ctx.taskDir, state);
}

/** Federated evaluation: the new global model on this site's validation images, reported to the hub. */
async function evaluateVersion(ctx: RoundContext, version: number): Promise<void> {
  const model = await withRetries(() => globalModelAt(ctx, version), ctx.retry);
  const { validation } = cohortForTraining(ctx);
  const metrics = await ctx.lane(() =>
    evaluateWeights({
      task: ctx.trainingTask,
      weights: model.weights,
      items: validation,
      cacheDir: join(ctx.site.directory, 'cache'),
      ...(ctx.backend ? { backend: ctx.backend } : {}),
      ...(ctx.threads ? { threads: ctx.threads } : {}),
      signal: ctx.signal,
    }),
  );
  const federated = await withRetries(
    () =>
      ctx.client.postMetrics(ctx.taskId, version, {
        // A diverged model's loss is no measurement: reported as null, never refused round after round.
        loss: reportableLoss(metrics.loss),
        accuracy: metrics.accuracy,
        auc: metrics.auc,
        n: Math.max(1, metrics.n),
      }),
    ctx.retry,
  );
  ctx.state.lastEvaluatedVersion = version;
  saveTaskState(ctx.taskDir, ctx.state);
  ctx.emit({
    type: 'evaluated',
    taskId: ctx.taskId,
    version,
    round: model.meta.round,
    metrics,
    federated: { loss: federated.loss, auc: federated.auc, sites: federated.sites },
  });
}

/** The task has no global model yet: send the task's freshly initialised model (one site wins the race). */
async function offerInitialModel(ctx: RoundContext): Promise<void> {
  const sealed = ctx.client.seal({
    taskId: ctx.taskId,
    round: 0,
    kind: 'initial',
    weights: await initialModelWeights(ctx.trainingTask),
    baseVersion: null,
    examples: 1,
    compression: 'none',
  });
  try {
    const outcome = await withRetries(() => sendSealedUpdate(ctx.client, ctx.taskId, sealed), ctx.retry);
    if (outcome.kind === 'submitted') auditInitialModelSent(ctx, sealed);
    ctx.emit({
      type: 'initial-model',
      taskId: ctx.taskId,
      outcome: outcome.kind === 'submitted' ? 'sent' : 'not-needed',
    });
  } catch (error) {
    const taken =
      error instanceof SyncError &&
      error.cause instanceof HubRequestError &&
      error.cause.hubCode === 'has-initial-model';
    if (!taken) throw error;
    ctx.emit({ type: 'initial-model', taskId: ctx.taskId, outcome: 'not-needed' });
  }
}
