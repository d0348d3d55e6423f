// Trains a site's model on its own cohort: picks the backend, streams batches, steps Adam (or SGD
// with momentum) under a learning-rate schedule, evaluates on the validation split after every epoch,
// checkpoints, stops early when validation stops improving, resumes from the last checkpoint, and
// can be cancelled.
// With patient-level DP-SGD each step is a Poisson sample of patients instead of a batch (patient-steps.ts).
import { createHash } from 'node:crypto';
import { isDpTrainable } from '../../../../shared/federation/index.ts';
import { selectBackend, tf, type BackendChoice, type BackendReport } from '../backend/index.ts';
import { BatchLoader, type AugmentOptions, type Batch, type LabelledImage } from '../data/index.ts';
import { TrainError } from '../errors.ts';
import {
  assignModelValues,
  checkpointedLogits,
  CHECKPOINTING_SETTINGS,
  createModel,
  planTrainingStep,
  taskById,
  type CheckpointingSetting,
  type NamedValues,
  type TrainingTask,
} from '../models/index.ts';
import { createOptimizer, type OptimizerName } from './optimizer.ts';
import { dpSgdGradients, type DpSgdOptions } from './dp-sgd.ts';
import type { PatientDpSgdOptions } from './patient-dp-sgd.ts';
import { PatientDpSteps, type PatientStep } from './patient-steps.ts';
import { bestWeightsBase, loadLatestCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.ts';
import { evaluate } from './evaluate.ts';
import type { ValidationMetrics } from './metrics.ts';
import type { EpochRecord, TrainProgress } from './progress.ts';
import { LossReadback, type ReadLoss } from './loss-readback.ts';
import { learningRateAt, type LearningRateSchedule } from './schedule.ts';

export interface TrainLocalModelOptions {
  /** A task id from TRAINING_TASKS, or a task. */
  task: string | TrainingTask;
  train: readonly LabelledImage[];
  validation: readonly LabelledImage[];
  /** Prepared images are cached here (keyed by file and recipe). */
  cacheDir: string;
  /** Checkpoints go here; an existing checkpoint of the same run is resumed. */
  checkpointDir: string;
  backend?: BackendChoice;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (event: TrainProgress) => void;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Adam (default) or SGD with momentum 0.9 (optimizer.ts); both update each tensor in one fused pass. */
  optimizer?: OptimizerName;
  schedule?: LearningRateSchedule;
  /** Stop after this many epochs without a better validation score (default 3; 0 never stops early). */
  patience?: number;
  /** What "better" means: lower validation loss (default) or higher AUC. */
  monitor?: 'loss' | 'auc';
  augment?: AugmentOptions | false;
  seed?: number;
  /** Start from these weights (a federated round's global model) instead of a fresh model. */
  initialWeights?: readonly NamedValues[];
  /** DP-SGD: clip per microbatch and add noise at every step (a task's differential-privacy option). */
  dpSgd?: DpSgdOptions;
  /**
   * Patient-level DP-SGD (patient-dp-sgd.ts): Poisson-sampled patients, one clipped gradient per
   * patient, `steps` steps spread over the epochs (batchSize is then unused). Batch normalisation is
   * frozen at the starting weights' statistics: batch statistics would mix patients inside a step,
   * and running statistics would be released without noise.
   */
  patientDpSgd?: PatientDpSgdOptions;
  /**
   * Gradient checkpointing (models/gradient-checkpointing.ts): 'auto' (default) recomputes activations
   * in the backward pass only when the batch would not fit the backend's memory otherwise; 'on'
   * always, 'off' never (a batch that does not fit is then made smaller).
   */
  checkpointing?: CheckpointingSetting;
}

export interface TrainResult {
  backend: BackendReport;
  task: TrainingTask;
  epochs: EpochRecord[];
  bestEpoch: number;
  best: ValidationMetrics;
  stoppedEarly: boolean;
  resumedFromEpoch: number;
  /** Base path (.json / .bin) of the best epoch's weights. */
  bestWeights: string;
}

export async function trainLocalModel(options: TrainLocalModelOptions): Promise<TrainResult> {
  const task = typeof options.task === 'string' ? taskById(options.task) : options.task;
  const epochs = options.epochs ?? 10;
  const askedBatch = options.batchSize ?? 32;
  const baseRate = options.learningRate ?? 1e-3;
  const schedule = options.schedule ?? { kind: 'cosine', warmupEpochs: Math.min(1, epochs - 1) };
  const patience = options.patience ?? 3;
  const monitor = options.monitor ?? 'loss';
  const seed = options.seed ?? 0;
  if (!(epochs >= 1)) throw new TrainError('invalid-option', 'Train for at least one epoch.');
  checkLabels(options.train, task);
  checkLabels(options.validation, task);
  if (options.validation.length === 0) throw new TrainError('empty-cohort', 'The validation split is empty.');
  const checkpointing = options.checkpointing ?? 'auto';
  if (!(CHECKPOINTING_SETTINGS as readonly string[]).includes(checkpointing)) {
    throw new TrainError(
      'invalid-option',
      `The checkpointing setting is "${String(checkpointing)}"; choose one of ${CHECKPOINTING_SETTINGS.join(', ')}.`,
    );
  }

  const backend = await selectBackend({ choice: options.backend ?? 'auto', threads: options.threads });
  // A model of real size (ResNet-18 at 256 px: ~200 MB per image) may not fit the backend's memory at
  // the task's batch: recompute activations in the backward pass to keep the batch, or else train
  // with the largest batch that fits, and say so (patient-level DP samples patients, not batches,
  // and keeps its own step).
  const fitted = options.patientDpSgd
    ? { batch: askedBatch, checkpointing: false, message: undefined }
    : await planTrainingStep(
        task.model,
        { inputSize: task.inputSize, channels: 1, numClasses: task.labels.length },
        askedBatch,
        backend.name,
        checkpointing,
      );
  const batchSize = fitted.batch;
  const recipe = { size: task.inputSize, window: task.window };
  const trainLoader = new BatchLoader({
    items: options.train,
    recipe,
    batchSize,
    cacheDir: options.cacheDir,
    seed,
    augment: options.augment ?? {},
  });
  const validationLoader = new BatchLoader({
    items: options.validation,
    recipe,
    batchSize,
    cacheDir: options.cacheDir,
    shuffle: false,
    augment: false,
  });
  const model = createModel(task.model, {
    inputSize: task.inputSize,
    channels: 1,
    numClasses: task.labels.length,
    seed,
  });
  const optimizer = createOptimizer(options.optimizer ?? 'adam', baseRate);
  // Under DP fine-tuning only the task's trainable layers are stepped; the rest keep the start's weights.
  const layers = options.patientDpSgd?.trainableLayers ?? 'all';
  const trainable = model.parameters.filter((p) => p.trainable && isDpTrainable(p.name, layers));
  const patientSteps = options.patientDpSgd
    ? new PatientDpSteps(options.train, trainLoader, options.patientDpSgd, epochs)
    : null;
  const batchesIn = (epoch: number) => patientSteps?.stepsIn(epoch) ?? trainLoader.batchesPerEpoch;
  const fingerprint = runFingerprint(task, options, seed);
  try {
    if (options.initialWeights) assignModelValues(model, options.initialWeights);
    let state: TrainerState = {
      fingerprint,
      epochsDone: 0,
      bestEpoch: -1,
      bestScore: Infinity,
      epochsWithoutImprovement: 0,
      history: [],
    };
    const resumed = await loadLatestCheckpoint(options.checkpointDir, model, fingerprint);
    if (resumed) {
      state = resumed.state;
      optimizer.restore(trainable, resumed.optimizerState);
    }
    const history = state.history as EpochRecord[];
    const resumedFromEpoch = state.epochsDone;
    options.onProgress?.({
      type: 'started',
      backend,
      epochs,
      batchesPerEpoch: batchesIn(0),
      resumedFromEpoch,
      batchSize,
      ...(fitted.message ? { memoryNote: fitted.message } : {}),
    });
    const done = (stoppedEarly: boolean): TrainResult => {
      const best = history[state.bestEpoch]!;
      options.onProgress?.({
        type: 'finished',
        reason: stoppedEarly ? 'early-stopping' : 'completed',
        bestEpoch: state.bestEpoch,
      });
      return {
        backend,
        task,
        epochs: history,
        bestEpoch: state.bestEpoch,
        best: best.validation,
        stoppedEarly,
        resumedFromEpoch,
        bestWeights: bestWeightsBase(options.checkpointDir, state.bestEpoch),
      };
    };
    if (state.epochsDone > 0 && patience > 0 && state.epochsWithoutImprovement >= patience) return done(true);

    const size = task.inputSize;
    const classes = task.labels.length;
    for (let epoch = state.epochsDone; epoch < epochs; epoch++) {
      const started = performance.now();
      let lossSum = 0;
      let images = 0;
      let batchIndex = 0;
      let stepsTaken = 0;
      let learningRate = baseRate;
      const batches = batchesIn(epoch);
      const steps: AsyncGenerator<PatientStep | Batch> = patientSteps
        ? patientSteps.epoch(epoch, options.signal)
        : trainLoader.epoch(epoch, options.signal);
      const readback = new LossReadback<number>();
      const report = (read: ReadLoss<number> | undefined) => {
        if (!read) return;
        if (!Number.isFinite(read.value)) {
          throw new TrainError(
            'invalid-option',
            `The loss became ${read.value} at epoch ${epoch + 1}: lower the learning rate.`,
          );
        }
        lossSum += read.value * read.step;
        images += read.step;
        batchIndex++;
        const elapsed = (performance.now() - started) / 1000;
        const secondsPerBatch = elapsed / stepsTaken;
        const batchesLeft = batches - batchIndex + (epochs - epoch - 1) * batches;
        options.onProgress?.({
          type: 'batch',
          epoch,
          batch: batchIndex,
          batches,
          loss: read.value,
          imagesPerSecond: images / elapsed,
          secondsLeft: batchesLeft * secondsPerBatch * 1.15,
        });
      };
      try {
        for await (const step of steps) {
          throwIfCancelled(options.signal);
          learningRate = learningRateAt(baseRate, schedule, epoch + stepsTaken / batches, epochs);
          optimizer.learningRate = learningRate;
          const batch = 'imagesPerPatient' in step ? step.batch : step;
          const loss = tf.tidy(() => {
            if ('imagesPerPatient' in step && patientSteps) {
              const { value, grads } = patientSteps.gradients(step, model, trainable);
              return optimizer.applyGradients(value, grads, trainable);
            }
            const x = tf.tensor4d(batch.images, [batch.count, size, size, 1]);
            const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes);
            const lossOf = (xs: tf.Tensor, ys: tf.Tensor) => {
              const logits = fitted.checkpointing
                ? checkpointedLogits(model, xs as tf.Tensor4D)
                : model.logits(xs as tf.Tensor4D, { training: true });
              return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
            };
            if (options.dpSgd) {
              const variables = trainable.map((p) => p.variable);
              const { value, grads } = dpSgdGradients(lossOf, x, y, variables, options.dpSgd);
              return optimizer.applyGradients(value, grads, trainable);
            }
            return optimizer.minimize(() => lossOf(x, y), trainable);
          });
          stepsTaken++;
          // The previous step's loss, read while this one runs (loss-readback.ts).
          report(await readback.push(loss, batch.count));
        }
        report(await readback.flush());
      } finally {
        readback.dispose();
      }
      throwIfCancelled(options.signal);
      const trainSeconds = (performance.now() - started) / 1000;
      const validation = await evaluate(model, validationLoader, options.signal);
      throwIfCancelled(options.signal);
      const score = monitor === 'auc' ? -(validation.auc ?? 0) : validation.loss;
      const isBest = score < state.bestScore;
      const record: EpochRecord = {
        epoch,
        trainLoss: lossSum / Math.max(1, images),
        learningRate,
        validation,
        seconds: (performance.now() - started) / 1000,
        imagesPerSecond: images / trainSeconds,
      };
      history.push(record);
      state = {
        ...state,
        epochsDone: epoch + 1,
        bestEpoch: isBest ? epoch : state.bestEpoch,
        bestScore: isBest ? score : state.bestScore,
        epochsWithoutImprovement: isBest ? 0 : state.epochsWithoutImprovement + 1,
        history,
      };
      const optimizerState = { name: optimizer.name, state: await optimizer.state(trainable) };
      await saveCheckpoint(options.checkpointDir, model, optimizerState, state);
      options.onProgress?.({ type: 'epoch', ...record, isBest });
      if (patience > 0 && state.epochsWithoutImprovement >= patience) return done(true);
    }
    return done(false);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new TrainError(
      'cancelled',
      'Training was cancelled. The last completed epoch is saved; training again with the same checkpoint folder resumes from it.',
    );
  }
}

function checkLabels(items: readonly LabelledImage[], task: TrainingTask): void {
  for (let i = 0; i < items.length; i++) {
    const label = items[i]!.label;
    if (!Number.isInteger(label) || label < 0 || label >= task.labels.length) {
      throw new TrainError(
        'invalid-option',
        `Image ${i + 1} has label ${label}; task ${task.id} has labels 0 to ${task.labels.length - 1} (${task.labels.join(', ')}).`,
      );
    }
  }
}

/** Identifies a run: a checkpoint from another task, model or cohort must not be resumed. */
function runFingerprint(task: TrainingTask, options: TrainLocalModelOptions, seed: number): string {
  const hash = createHash('sha256');
  const dp = options.patientDpSgd;
  hash.update(JSON.stringify({ task, seed, batch: options.batchSize }));
  // Another optimiser's state cannot be resumed (Adam's fingerprint is the one it had before there was a choice).
  if (options.optimizer && options.optimizer !== 'adam') hash.update(`optimizer ${options.optimizer}`);
  // A checkpoint of another privacy setting must not be resumed (its steps spent another budget).
  if (dp) {
    const settings = [dp.l2NormClip, dp.noiseMultiplier, dp.samplingRate, dp.steps];
    hash.update(JSON.stringify(dp.trainableLayers ? [...settings, dp.trainableLayers] : settings));
  }
  for (const item of [...options.train, ...options.validation])
    hash.update(`${item.path}\u0000${item.label}\n`);
  return hash.digest('hex');
}
