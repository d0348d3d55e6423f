// A split-learning (SplitFed) round at this site: start from the round's global model, run the task's
// local epochs as split steps over a signed session with the hub's trunk (the bottom and head here,
// the trunk at the hub; images and labels stay), then return the model with the trained bottom and
// head as this round's local model. The round machinery turns its segments into the round's update
// (roundTensors: the trunk's tensors, the global model's here, are not in it), so secure aggregation
// masks the segments only and the hub averages them: the trunk itself lives and learns at the hub. With label sharing the head is the hub's as well: the site
// trains its bottom only, sends each batch's labels with its activations, and has no loss of its own
// to report (the hub computes it), so the round's loss is NaN.
import { randomBytes } from 'node:crypto';
import { federationMethod, type NamedTensor } from '../../../shared/federation/index.ts';
import { SplitConnection } from '../../../shared/node/split/index.ts';
import type { CohortItem } from '../cohort/index.ts';
import {
  assignModelValues,
  BatchLoader,
  createModel,
  selectBackend,
  tf,
  type PrepareRecipe,
} from '../train/index.ts';
import {
  adamOptimizer,
  sgdOptimizer,
  SessionHijackCheck,
  siteCutDefences,
  SplitSessionRunner,
  SplitSite,
} from '../train/split/index.ts';
import { loadEnrollment } from './enrollment-store.ts';
import type { RoundContext } from './round-work.ts';
import { roundLearningRate } from './task-learning-rate.ts';
import { toNamedValues } from './training-task.ts';
import { approvalOf } from './approvals.ts';
import { auditSplitSessionStopped, withdrawApprovalAfterVerdict } from './split-round-audit.ts';
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
  // A split round sends activations at every step: none without this site's approval in force (the
  // operator's withdrawal, or the hijack check's, takes effect at the next round of a running task).
  if (!approvalOf(ctx.site.database, ctx.taskId)) {
    throw new SyncError(
      'not-approved',
      'This site\u2019s approval of this split-learning task was withdrawn, so it trains and sends nothing ' +
        'for it; approve the task again (after the hub has been checked, if the hijack check stopped it) ' +
        'to take part.',
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
  const defences = steps.defences ? siteCutDefences(steps.defences, { batchSize: d.batchSize }) : undefined;
  const site = new SplitSite(model, {
    session,
    dtype: steps.frameDtype,
    ...(steps.cuts ? { cuts: steps.cuts } : {}),
    optimizers: { bottom: optimizer(), head: optimizer() },
    ...(defences ? { defences } : {}),
    // Label sharing (approved with its sentence): each step's labels go to the hub, which runs the head.
    ...(steps.headAt === 'hub' ? { headAtHub: true } : {}),
  });
  const hijackCheck = steps.defences?.hijackCheck;
  const { train, heldBack } = holdBackForHijackCheck(cohort.train, hijackCheck?.validationImages ?? 0);
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
  const recipe: PrepareRecipe = { size: task.inputSize, window: task.window };
  const loader = new BatchLoader({
    items: train,
    recipe,
    batchSize: d.batchSize,
    cacheDir: `${ctx.site.directory}/cache`,
    seed: round,
    augment: {},
  });
  let held: { images: tf.Tensor4D; labels: Int32Array } | null = null;
  const stepMs: number[] = [];
  const started = performance.now();
  let step = 0;
  let images = 0;
  let lastEpochLoss = Number.NaN;
  try {
    // The hijack check (docs/split-learning.md): before every checkEvery-th step, the loss on the images
    // held back, through the session's evaluation exchange; a broken rule stops the session.
    let check: SessionHijackCheck | null = null;
    if (hijackCheck) {
      held = await loadHeldBack(heldBack, recipe, `${ctx.site.directory}/cache`, ctx.signal);
      check = new SessionHijackCheck({
        site,
        runner,
        settings: hijackCheck,
        heldBack: held,
        ...(steps.cuts ? { cuts: steps.cuts } : {}),
        ...(defences ? { defences } : {}),
        imagesPerFrame: d.batchSize,
      });
    }
    for (let epoch = 0; epoch < d.localEpochs; epoch++) {
      let lossSum = 0;
      let batches = 0;
      for await (const batch of loader.epoch(epoch, ctx.signal)) {
        const verdict = check ? await check.beforeStep(step) : null;
        if (verdict) {
          auditSplitSessionStopped(ctx, { round, step, code: verdict.code, reason: verdict.message });
          // The verdict's hint asks for the task to be approved again once the hub has been checked:
          // the approval goes now, so no later round of this task trains or sends until then.
          withdrawApprovalAfterVerdict(ctx);
          // The round is given up (nothing is sent); the task runner says the sentence as a 'problem'.
          throw new SyncError('split-session-stopped', verdict.message, {
            cause: verdict,
            ...(verdict.hint ? { hint: verdict.hint } : {}),
          });
        }
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
    const local = await Promise.all(
      global.map(async (t) => {
        const variable = byName.get(t.name);
        if (!variable) throw new SyncError('task-mismatch', `The task's model has no tensor "${t.name}".`);
        return { name: t.name, shape: [...t.shape], data: (await variable.data()) as Float32Array };
      }),
    );
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
    held?.images.dispose();
    runner.close();
    site.dispose();
    model.dispose();
  }
}

/**
 * The hijack check's held-back images: the last `wanted` of the cohort's training images (the same
 * ones every round), at most a quarter of them so that training keeps most; none when the check is off.
 */
function holdBackForHijackCheck(
  items: CohortItem[],
  wanted: number,
): { train: CohortItem[]; heldBack: CohortItem[] } {
  if (wanted === 0) return { train: items, heldBack: [] };
  const count = Math.min(wanted, Math.floor(items.length / 4));
  if (count < MIN_HELD_BACK) {
    throw new SyncError(
      'bad-state',
      `This task's hijack check holds back some of this site's training images to watch its loss, but ` +
        `the site has only ${items.length} (at most a quarter is held back, and the check needs ` +
        `${MIN_HELD_BACK}): import more labelled studies, or ask the coordinator about the check.`,
    );
  }
  return { train: items.slice(0, items.length - count), heldBack: items.slice(items.length - count) };
}

/** The fewest images the hijack check reads a loss on (the task setting's own lower bound). */
const MIN_HELD_BACK = 8;

async function loadHeldBack(
  items: CohortItem[],
  recipe: PrepareRecipe,
  cacheDir: string,
  signal: AbortSignal,
): Promise<{ images: tf.Tensor4D; labels: Int32Array }> {
  const loader = new BatchLoader({
    items,
    recipe,
    batchSize: items.length,
    cacheDir,
    shuffle: false,
    augment: false,
  });
  for await (const batch of loader.epoch(0, signal)) {
    return {
      images: tf.tensor4d(batch.images, [batch.count, recipe.size, recipe.size, 1]),
      labels: Int32Array.from(batch.labels),
    };
  }
  throw new SyncError('cancelled', 'Stopped on request.');
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
