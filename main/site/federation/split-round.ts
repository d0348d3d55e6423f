// A split-learning (SplitFed) round at this site: start from the round's global model, run the task's
// local epochs as split steps over a signed session with the hub's trunk (the bottom and head here,
// the trunk at the hub; images and labels stay), then return the model with the trained bottom and
// head as this round's local model. The round machinery turns it into an update as for FedAvg, so
// secure aggregation masks it and the hub averages the sites' segments; the trunk's tensors in the
// round's model are the global model's, unchanged (their part of the update is zero): the trunk
// itself lives and learns at the hub.
import { randomBytes } from 'node:crypto';
import { federationMethod, type NamedTensor } from '../../../shared/federation/index.ts';
import { SplitConnection } from '../../../shared/node/split/index.ts';
import type { CohortItem } from '../cohort/index.ts';
import { assignModelValues, BatchLoader, createModel, selectBackend, tf } from '../train/index.ts';
import {
  adamOptimizer,
  sgdOptimizer,
  siteCutDefences,
  SplitSessionRunner,
  SplitSite,
} from '../train/split/index.ts';
import { loadEnrollment } from './enrollment-store.ts';
import type { RoundContext } from './round-work.ts';
import { roundLearningRate } from './task-learning-rate.ts';
import { toNamedValues } from './training-task.ts';
import { SyncError } from './sync-error.ts';
import type { SplitRoundFigures } from './sync-events.ts';

export interface SplitRoundResult {
  /** The round's model with this site's trained bottom and head (in the global model's order). */
  readonly local: NamedTensor[];
  /** The mean training loss of the last local epoch. */
  readonly loss: number;
  readonly figures: SplitRoundFigures;
}

export async function trainSplitRound(
  ctx: RoundContext,
  round: number,
  global: readonly NamedTensor[],
  cohort: { train: CohortItem[] },
): Promise<SplitRoundResult> {
  const d = ctx.definition;
  // The per-step exchange is the method record's (cuts, dtype, defences, where the head runs).
  const steps = federationMethod(d.strategy).steps;
  if (!steps) throw new Error('A split round runs only for a method that exchanges per step.');
  if (steps.headAt === 'hub') {
    throw new SyncError(
      'task-mismatch',
      'This task asks for label sharing (the head at the hub), which this version of RadFed does not run; ' +
        'ask the coordinator to turn label sharing off.',
    );
  }
  await selectBackend({ choice: ctx.backend ?? 'auto', ...(ctx.threads ? { threads: ctx.threads } : {}) });
  const task = ctx.trainingTask;
  const model = createModel(task.model, {
    inputSize: task.inputSize,
    channels: 1,
    numClasses: task.labels.length,
    seed: 0,
  });
  assignModelValues(model, toNamedValues(global));
  const rate = roundLearningRate(d, round);
  const optimizer = () => (d.optimizer.name === 'sgd' ? sgdOptimizer(rate) : adamOptimizer(rate));
  // A new session each round: its steps count from 0, and the hub keeps one answer per session.
  const session = randomBytes(16).toString('hex');
  const site = new SplitSite(model, {
    session,
    dtype: steps.frameDtype,
    ...(steps.cuts ? { cuts: steps.cuts } : {}),
    optimizers: { bottom: optimizer(), head: optimizer() },
    ...(steps.defences ? { defences: siteCutDefences(steps.defences, { batchSize: d.batchSize }) } : {}),
  });
  const enrollment = loadEnrollment(ctx.site.directory);
  const connections: SplitConnection[] = [];
  const runner = new SplitSessionRunner({
    site,
    connect: async () => {
      // A hub that has not served the task's trunk yet answers 503 with Retry-After: the runner waits
      // (saying so in the round's events) up to its give-up time; any other refusal stops the round.
      const connection = await SplitConnection.open({
        hubUrl: enrollment.hubUrl,
        caPem: enrollment.caPem,
        siteId: enrollment.siteId,
        signingPrivateKeyPem: enrollment.signingPrivateKeyPem,
        taskId: ctx.taskId,
        session,
      });
      connections.push(connection);
      return connection;
    },
    onWait: (wait) =>
      ctx.emit({
        type: 'retrying',
        taskId: ctx.taskId,
        attempt: wait.attempt,
        delayMs: wait.delayMs,
        message: wait.message,
      }),
  });
  const loader = new BatchLoader({
    items: cohort.train,
    recipe: { size: task.inputSize, window: task.window },
    batchSize: d.batchSize,
    cacheDir: `${ctx.site.directory}/cache`,
    seed: round,
    augment: {},
  });
  const stepMs: number[] = [];
  const started = performance.now();
  let step = 0;
  let images = 0;
  let lastEpochLoss = Number.NaN;
  try {
    for (let epoch = 0; epoch < d.localEpochs; epoch++) {
      let lossSum = 0;
      let batches = 0;
      for await (const batch of loader.epoch(epoch, ctx.signal)) {
        const x = tf.tensor4d(batch.images, [batch.count, task.inputSize, task.inputSize, 1]);
        try {
          const outcome = await runner.step(step, step, x, batch.labels);
          stepMs.push(outcome.milliseconds);
          lossSum += outcome.loss;
        } finally {
          x.dispose();
        }
        step += 1;
        batches += 1;
        images += batch.count;
        ctx.emit({
          type: 'training',
          taskId: ctx.taskId,
          round,
          epoch: epoch + 1,
          epochs: d.localEpochs,
          batch: batches,
          batches: loader.batchesPerEpoch,
          loss: outcome(lossSum, batches),
        });
      }
      // The loader ends an epoch early when the agent is stopped: the round is abandoned, not sent.
      if (ctx.signal.aborted) throw new SyncError('cancelled', 'Stopped on request.');
      lastEpochLoss = outcome(lossSum, batches);
    }
    const byName = new Map(model.parameters.map((p) => [p.name, p.variable]));
    const local = global.map((t) => {
      const variable = byName.get(t.name);
      if (!variable) throw new SyncError('task-mismatch', `The task's model has no tensor "${t.name}".`);
      return { name: t.name, shape: [...t.shape], data: variable.dataSync() as Float32Array };
    });
    return {
      local,
      loss: lastEpochLoss,
      figures: {
        steps: step,
        images,
        bytesUp: connections.reduce((sum, c) => sum + c.bytesSent, 0),
        bytesDown: connections.reduce((sum, c) => sum + c.bytesReceived, 0),
        stepMs,
        retries: runner.retries,
        seconds: (performance.now() - started) / 1000,
      },
    };
  } finally {
    runner.close();
    site.dispose();
    model.dispose();
  }
}

function outcome(sum: number, count: number): number {
  return count > 0 ? sum / count : Number.NaN;
}

/**
 * The split round in the shape the round machinery reads of a trained round. Its metrics are the last
 * epoch's training loss only: the validation images would need the hub's trunk for every prediction,
 * and the session has no evaluation exchange yet (docs/split-learning.md, what remains).
 */
export async function splitRoundAsTrained(
  ctx: RoundContext,
  round: number,
  global: readonly NamedTensor[],
  cohort: { train: CohortItem[] },
) {
  const result = await trainSplitRound(ctx, round, global, cohort);
  return {
    local: result.local,
    figures: result.figures,
    resumedFromEpoch: 0,
    best: {
      loss: result.loss,
      accuracy: Number.NaN,
      auc: null,
      sensitivity: null,
      specificity: null,
      count: result.figures.images,
    },
  };
}
