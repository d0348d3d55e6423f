// One round at this site: fetch the round's global model, build the cohort, train from the global
// model for the task's local epochs (checkpointed each epoch, so a killed agent resumes the epoch it
// was in), seal the difference for the hub and keep it on disk, then send it. Each step records how
// far it got in the task's state before the next begins.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  federationMethod,
  homomorphicOn,
  patientDpStepsPerRound,
  patientLevelDp,
  roundTensors,
  siteLevelDp,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import { buildCohort, type CohortItem } from '../cohort/index.ts';
import {
  TrainError,
  trainLocalModel,
  type BackendChoice,
  type TrainingTask,
  type TrainProgress,
} from '../train/index.ts';
import type { Site } from '../store/index.ts';
import type { HubClient, SealedUpdate } from '../../../shared/node/federation/index.ts';
import { assertBudgetAllowsAnotherUpdate } from './dp-site-budget.ts';
import { globalModelAt } from './homomorphic-model.ts';
import { sealEncryptedUpdateToDisk } from './homomorphic-update.ts';
import { withRetries, type RetryPolicy } from './retry.ts';
import type { SyncEvent } from './sync-events.ts';
import { SyncError } from './sync-error.ts';
import { roundFolder, saveTaskState, type RoundWork, type TaskState } from './task-state.ts';
import { readTrainedWeights, toNamedValues } from './training-task.ts';
import { roundLearningRate } from './task-learning-rate.ts';
import { readSealed, sealUpdateToDisk, sendSealedUpdate, type SendOutcome } from './update-upload.ts';
import { keepUpdateForMasking, readUpdateForMasking } from './secagg-files.ts';
import { takePartInSecureRound } from './secagg-round.ts';
import { splitRoundAsTrained } from './split-round.ts';
import { auditUpdateSent } from './update-audit.ts';
import { auditHubPlanRefused } from './plan-refusal-audit.ts';

export interface RoundContext {
  readonly site: Site;
  readonly client: HubClient;
  readonly taskId: string;
  readonly taskDir: string;
  readonly definition: TaskDefinition;
  readonly trainingTask: TrainingTask;
  readonly cohortTaskId: string;
  readonly state: TaskState;
  readonly signal: AbortSignal;
  readonly retry: RetryPolicy;
  readonly emit: (event: SyncEvent) => void;
  /** Runs training and evaluation one at a time (tasks share the machine). */
  readonly lane: <T>(work: () => Promise<T>) => Promise<T>;
  readonly backend?: BackendChoice;
  readonly threads?: number;
  readonly chunkBytes?: number;
  readonly clock: () => Date;
  /** Who the audit log names for updates sent (the OS user of `site run`, the operator in the app). */
  readonly actor?: string;
}

/** The cohort as the trainer takes it; validation falls back to training images when a site has none. */
export function cohortForTraining(ctx: Pick<RoundContext, 'site' | 'cohortTaskId'>): {
  train: CohortItem[];
  validation: CohortItem[];
} {
  const cohort = buildCohort(ctx.site, ctx.cohortTaskId);
  if (cohort.train.length === 0) {
    throw new SyncError(
      'bad-state',
      `This site's task "${ctx.cohortTaskId}" has no training images (no labelled studies in by consent); ` +
        'import labels (radfed site labels import) and check the cohort (radfed site cohort).',
    );
  }
  return { train: cohort.train, validation: cohort.validation.length > 0 ? cohort.validation : cohort.train };
}

export async function workOnRound(
  ctx: RoundContext,
  round: number,
  baseVersion: number,
  /** The round's clip norm as the hub states it (differential privacy with adaptive clipping). */
  clipNorm: number | null = null,
): Promise<SendOutcome> {
  const { state } = ctx;
  let work: RoundWork | null = state.current;
  const resumed = work !== null && work.round === round && work.baseVersion === baseVersion;
  // An update already noised and sealed for this round is sent as it is; a new one must fit the budget.
  if (!(resumed && (work?.phase === 'sealed' || work?.phase === 'prepared')))
    assertBudgetAllowsAnotherUpdate(ctx.definition, state);
  if (!resumed) {
    if (work) rmSync(roundFolder(ctx.taskDir, work.round), { recursive: true, force: true });
    work = {
      round,
      baseVersion,
      phase: 'training',
      startedAt: ctx.clock().toISOString(),
      trainSeconds: null,
      uploadId: null,
      patients: [],
    };
    state.current = work;
    saveTaskState(ctx.taskDir, state);
  }
  const current = work as RoundWork;
  const dir = roundFolder(ctx.taskDir, round);
  const secure = ctx.definition.privacy.secureAggregation.enabled;
  let sealed = current.phase === 'sealed' ? readSealed(dir) : null;
  let forMasking = secure && current.phase === 'prepared' ? readUpdateForMasking(dir) : null;
  if (!sealed && !forMasking) {
    const global = await withRetries(() => globalModelAt(ctx, baseVersion), ctx.retry);
    ctx.emit({
      type: 'model-downloaded',
      taskId: ctx.taskId,
      version: baseVersion,
      bytes: global.downloadedBytes,
    });
    const cohort = cohortForTraining(ctx);
    ctx.emit({
      type: 'round-started',
      taskId: ctx.taskId,
      round,
      baseVersion,
      train: cohort.train.length,
      validation: cohort.validation.length,
      resumed,
    });
    const started = performance.now();
    // Split learning trains its segments step by step against the hub's trunk (split-round.ts).
    mkdirSync(dir, { recursive: true });
    const trained =
      federationMethod(ctx.definition.strategy).rhythm === 'step'
        ? await ctx.lane(() => splitRoundAsTrained(ctx, round, global.weights, cohort))
        : await ctx.lane(() => train(ctx, round, join(dir, 'checkpoint'), global.weights, cohort));
    // The round's last epoch, not its best by local validation: a round is one leg of a longer
    // training, and a few validation images per site would otherwise throw rounds of progress away.
    const local =
      'local' in trained
        ? trained.local
        : await readTrainedWeights(
            lastEpochWeights(join(dir, 'checkpoint'), trained.bestWeights),
            global.weights,
          );
    // What the update holds: the whole model, or a split site's own segments (the hub trains the trunk).
    const update = {
      local: roundTensors(ctx.definition, local),
      global: roundTensors(ctx.definition, global.weights),
    };
    if (secure) {
      // Secure aggregation masks the update once the hub has fixed who takes part (secagg-round.ts).
      forMasking = keepUpdateForMasking(dir, {
        ...update,
        examples: updateWeight(ctx.definition, cohort.train.length),
        definition: ctx.definition,
        clipNorm,
      });
      current.phase = 'prepared';
    } else if (homomorphicOn(ctx.definition)) {
      // Homomorphic: encrypted under the task's key; the hub adds it without reading it.
      sealed = await sealEncryptedUpdateToDisk(ctx, dir, {
        round,
        baseVersion,
        ...update,
        examples: updateWeight(ctx.definition, cohort.train.length),
        clipNorm,
      });
      current.phase = 'sealed';
    } else {
      sealed = sealUpdateToDisk(ctx.client, dir, {
        taskId: ctx.taskId,
        round,
        baseVersion,
        ...update,
        examples: updateWeight(ctx.definition, cohort.train.length),
        compression: ctx.definition.compression,
        definition: ctx.definition,
        clipNorm,
      });
      current.phase = 'sealed';
    }
    current.trainSeconds = (performance.now() - started) / 1000;
    current.patients = [...new Set([...cohort.train, ...cohort.validation].map((item) => item.patient))];
    saveTaskState(ctx.taskDir, state);
    rmSync(join(dir, 'checkpoint'), { recursive: true, force: true });
    const best = trained.best;
    ctx.emit({
      type: 'trained',
      taskId: ctx.taskId,
      round,
      seconds: current.trainSeconds,
      examples: cohort.train.length,
      resumedFromEpoch: trained.resumedFromEpoch,
      validation: { loss: best.loss, accuracy: best.accuracy, auc: best.auc, n: best.count },
      // The rate actually used, so that a run can show the task's schedule was followed round by round.
      ...('epochs' in trained && trained.epochs.length > 0
        ? { learningRate: trained.epochs.at(-1)!.learningRate }
        : {}),
      ...('figures' in trained ? { split: trained.figures } : {}),
    });
  }
  const started = performance.now();
  const onUploadId = (id: string) => {
    if (current.uploadId !== id) {
      current.uploadId = id;
      saveTaskState(ctx.taskDir, state);
    }
  };
  const outcome = forMasking
    ? await takePartInSecureRound(ctx, {
        round,
        baseVersion,
        dir,
        update: forMasking,
        onUploadId,
        // Recorded before the refusal is thrown; the task runner then tells the operator its sentence.
        onPlanRefused: (refusal) => auditHubPlanRefused(ctx, refusal),
      })
    : await sendPlain(ctx, round, sealed as SealedUpdate, onUploadId);
  const seconds = (performance.now() - started) / 1000;
  const examples = forMasking ? forMasking.examples : (sealed as SealedUpdate).examples;
  if (outcome.kind === 'submitted') {
    state.pending.push({ round, baseVersion, patients: current.patients });
    ctx.emit({
      type: 'submitted',
      taskId: ctx.taskId,
      round,
      bytes: outcome.bytes,
      resumedFromBytes: outcome.resumedFromBytes,
      seconds,
    });
  } else {
    ctx.emit({ type: outcome.kind, taskId: ctx.taskId, round, reason: outcome.reason });
  }
  state.history.push({
    round,
    outcome: outcome.kind,
    reason: outcome.kind === 'submitted' ? null : outcome.reason,
    trainSeconds: current.trainSeconds,
    uploadSeconds: outcome.kind === 'submitted' ? seconds : null,
    sentBytes: outcome.kind === 'submitted' ? outcome.bytes - outcome.resumedFromBytes : 0,
    examples,
  });
  state.current = null;
  saveTaskState(ctx.taskDir, state);
  // What left the site, read before the round's folder goes (the masked input under secure aggregation).
  const sent = outcome.kind === 'submitted' ? (forMasking ? readSealed(join(dir, 'masked')) : sealed) : null;
  if (sent) auditUpdateSent(ctx, { round, baseVersion, sealed: sent, examples });
  rmSync(dir, { recursive: true, force: true });
  return outcome;
}

/** Sends a sealed (unmasked) update, with retries; the hub resumes a partial upload by its hash. */
function sendPlain(
  ctx: RoundContext,
  round: number,
  sealed: SealedUpdate,
  onUploadId: (id: string) => void,
): Promise<SendOutcome> {
  return withRetries(
    () =>
      sendSealedUpdate(ctx.client, ctx.taskId, sealed, {
        ...(ctx.chunkBytes ? { chunkBytes: ctx.chunkBytes } : {}),
        onUploadId,
        onProgress: (progress) =>
          ctx.emit({
            type: 'uploading',
            taskId: ctx.taskId,
            round,
            sentBytes: progress.sentBytes,
            totalBytes: progress.totalBytes,
          }),
      }),
    ctx.retry,
  );
}

/**
 * The weight the hub gives this site's update: its number of training images, except under
 * patient-level DP, where that count is itself a fact about who is in the cohort (one patient more
 * changes it), released without noise; the sites then weigh equally. The update itself needs nothing
 * more: DP-SGD already made it private per patient, and whatever follows is post-processing.
 */
export function updateWeight(definition: TaskDefinition, trainImages: number): number {
  return patientLevelDp(definition.privacy.differentialPrivacy) ? 1 : trainImages;
}

/** Base path of the last epoch's weights, from the trainer's checkpoint pointer (latest.json). */
export function lastEpochWeights(checkpointDir: string, fallback: string): string {
  try {
    const pointer = JSON.parse(readFileSync(join(checkpointDir, 'latest.json'), 'utf8')) as {
      latest?: unknown;
    };
    if (typeof pointer.latest === 'string' && /^epoch-\d+$/.test(pointer.latest))
      return join(checkpointDir, pointer.latest, 'model');
  } catch {
    // no pointer: the trainer's best weights
  }
  return fallback;
}

async function train(
  ctx: RoundContext,
  round: number,
  checkpointDir: string,
  global: Parameters<typeof toNamedValues>[0],
  cohort: { train: CohortItem[]; validation: CohortItem[] },
) {
  const d = ctx.definition;
  const patientDp = patientLevelDp(d.privacy.differentialPrivacy);
  const microbatchDp = siteLevelDp(d.privacy.differentialPrivacy)?.dpSgd;
  const options = {
    task: ctx.trainingTask,
    train: cohort.train,
    validation: cohort.validation,
    // The prepared-image cache of the site (D/cache); a withdrawal removes a patient's part of it.
    cacheDir: join(ctx.site.directory, 'cache'),
    checkpointDir,
    ...(ctx.backend ? { backend: ctx.backend } : {}),
    ...(ctx.threads ? { threads: ctx.threads } : {}),
    signal: ctx.signal,
    epochs: d.localEpochs,
    batchSize: d.batchSize,
    // The task's rate for this round (constant, or decaying over the rounds); no warm-up, and no
    // decay within a round: the global model already went through the earlier rounds.
    learningRate: roundLearningRate(d, round),
    schedule: { kind: 'constant' } as const,
    patience: 0,
    seed: round,
    initialWeights: toNamedValues(global),
    // DP-SGD when the task asks for it: per-example protection inside this site's training.
    ...(microbatchDp ? { dpSgd: microbatchDp } : {}),
    // Patient-level DP-SGD: Poisson-sampled patients, the steps the accountant counts for a round.
    ...(patientDp
      ? {
          patientDpSgd: {
            l2NormClip: patientDp.l2NormClip,
            noiseMultiplier: patientDp.noiseMultiplier,
            samplingRate: patientDp.samplingRate,
            steps: patientDpStepsPerRound(d),
            ...(patientDp.trainableLayers ? { trainableLayers: patientDp.trainableLayers } : {}),
          },
        }
      : {}),
    onProgress: trainingReporter(ctx, round),
  };
  try {
    return await trainLocalModel(options);
  } catch (error) {
    // The cohort changed since the checkpoint was written (an ingest, a withdrawal): start the round afresh.
    if (!(error instanceof TrainError) || error.code !== 'invalid-checkpoint') throw error;
    rmSync(checkpointDir, { recursive: true, force: true });
    return trainLocalModel(options);
  }
}

/**
 * The trainer's progress as the loop's events: the memory note once, when the trainer starts, and its
 * batches at most once a second (and always the epoch's last), for the Training page and the terminal.
 */
export function trainingReporter(
  ctx: Pick<RoundContext, 'emit' | 'taskId' | 'definition'>,
  round: number,
  now: () => number = Date.now,
): (event: TrainProgress) => void {
  let lastReport = 0;
  return (event) => {
    if (event.type === 'started' && event.memoryNote) {
      ctx.emit({ type: 'training-memory', taskId: ctx.taskId, round, note: event.memoryNote });
    }
    if (event.type !== 'batch') return;
    const at = now();
    if (at - lastReport < 1000 && event.batch < event.batches) return;
    lastReport = at;
    ctx.emit({
      type: 'training',
      taskId: ctx.taskId,
      round,
      epoch: event.epoch,
      epochs: ctx.definition.localEpochs,
      batch: event.batch,
      batches: event.batches,
      loss: event.loss,
    });
  };
}
