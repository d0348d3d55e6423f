// How much memory a training step of a model takes, per image and in all, and the largest batch that
// fits the backend's memory. Measured, not estimated: the engine's peak bytes over one forward and
// backward pass at batch 2 and at batch 4 (tf.profile), on a throwaway copy of the model (a training
// pass moves batch norm's running statistics). A batch of b then needs at most fixed + b × perImage.
// Since a backward pass frees its tensors as it goes (backend/early-gradient-release.ts), the peak of a
// small batch is mostly the weights' gradients and grows faster from 4 images on than from 2 to 4
// (resnet-small at 32 px, 2026-12-07: 0.27 MB per image from 2 to 4, 0.38 from 8 to 16), so the
// per-image figure is also at least the batch-4 peak above the weights and their gradients, over 4.
// When the asked batch does not fit, a step may first recompute its activations in the backward pass
// (gradient-checkpointing.ts), which keeps the batch as asked; only if that does not fit either is
// the batch made smaller.
import os from 'node:os';
import { tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import { checkpointedLogits } from './gradient-checkpointing.ts';
import type { ModelConfig } from './model.ts';
import { createModel } from './registry.ts';

export interface TrainingMemory {
  architecture: string;
  inputSize: number;
  /** Weights, their gradients and what does not grow with the batch. */
  fixedBytes: number;
  /** Activations kept for the backward pass and the gradients that flow through them, per image. */
  perImageBytes: number;
  /** Measured with the activations recomputed in the backward pass (gradient checkpointing). */
  checkpointing: boolean;
}

/** Whether a training step recomputes its activations: when memory is short, always, or never. */
export const CHECKPOINTING_SETTINGS = ['auto', 'on', 'off'] as const;
export type CheckpointingSetting = (typeof CHECKPOINTING_SETTINGS)[number];

const MB = 1024 * 1024;
const GB = 1024 * MB;

export async function measureTrainingMemory(
  architecture: string,
  config: ModelConfig,
  options: { checkpointing?: boolean } = {},
): Promise<TrainingMemory> {
  const checkpointing = options.checkpointing ?? false;
  // Tensors already alive (another model, a loader's batch) are not this model's: count from here.
  const before = tf.memory().numBytes;
  const model = createModel(architecture, { ...config, seed: 0 });
  const weightBytes = tf.memory().numBytes - before;
  try {
    const trainable = model.parameters.filter((p) => p.trainable).map((p) => p.variable);
    const peak = async (batch: number): Promise<number> => {
      const { inputSize: size, channels, numClasses } = config;
      const info = await tf.profile(() => {
        // The loss and gradients are disposed here: kept, the batch-2 pass's gradients (the size of
        // the weights) were still alive in the batch-4 pass and counted as per-image memory.
        const kept = tf.tidy(() => {
          const x = tf.zeros([batch, size, size, channels]) as tf.Tensor4D;
          const y = tf.oneHot(tf.zeros([batch], 'int32') as tf.Tensor1D, numClasses);
          const { value, grads } = tf.variableGrads(() => {
            const logits = checkpointing ? checkpointedLogits(model, x) : model.logits(x, { training: true });
            return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
          }, trainable);
          return [value, ...Object.values(grads)];
        });
        tf.dispose(kept);
      });
      return info.peakBytes;
    };
    const two = (await peak(2)) - before;
    const four = (await peak(4)) - before;
    // The weights and, at the end of a pass, their gradients do not grow with the batch.
    const gradientBytes = trainable.reduce((sum, v) => sum + 4 * v.size, 0);
    const fixed = weightBytes + gradientBytes;
    const perImageBytes = Math.max(0, (four - two) / 2, (four - fixed) / 4);
    const fixedBytes = Math.max(fixed, two - 2 * perImageBytes, four - 4 * perImageBytes);
    return { architecture, inputSize: config.inputSize, fixedBytes, perImageBytes, checkpointing };
  } finally {
    model.dispose();
  }
}

/**
 * The memory a backend can give training. WebAssembly addresses 4 GiB and its allocator fragments, so
 * three quarters of it; the JavaScript backend, half of the machine's free memory; WebGPU does not say
 * how much the adapter has, so 4 GiB unless set. RADFED_TRAIN_MEMORY_MB overrides all of them.
 */
export function trainingMemoryBudget(backendName: string): number {
  const setting = Number(process.env.RADFED_TRAIN_MEMORY_MB);
  if (setting > 0) return setting * MB;
  if (backendName === 'wasm') return 3 * GB;
  if (backendName === 'cpu' || backendName === 'tensorflow') return os.freemem() / 2;
  return 4 * GB;
}

export interface BatchChoice {
  batch: number;
  /** What one batch of `batch` images needs, in bytes. */
  bytes: number;
  /** Whether the step recomputes its activations in the backward pass (gradient checkpointing). */
  checkpointing: boolean;
  /** In plain words, when the batch was made smaller than asked or activations are recomputed. */
  message?: string;
}

const megabytes = (bytes: number) => `${Math.round(bytes / MB)} MB`;
const size = (bytes: number) => (bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : megabytes(bytes));

/** What a training step of `batch` images needs, in bytes. */
export const stepBytes = (memory: TrainingMemory, batch: number) =>
  memory.fixedBytes + batch * memory.perImageBytes;

/** The recomputation's cost, said in the messages (counted and timed: docs/training.md, "Gradient checkpointing"). */
const RECOMPUTING = 'recomputing activations in the backward pass';
const RECOMPUTING_COST = 'one more forward pass a step, up to a third slower';

/** The requested batch when it fits `budgetBytes`, else the largest that does, with a sentence saying so. */
export function fitBatchSize(requested: number, memory: TrainingMemory, budgetBytes: number): BatchChoice {
  const need = (batch: number) => stepBytes(memory, batch);
  const checkpointing = memory.checkpointing;
  if (need(requested) <= budgetBytes) return { batch: requested, bytes: need(requested), checkpointing };
  const fits = Math.floor((budgetBytes - memory.fixedBytes) / Math.max(1, memory.perImageBytes));
  const what = `${memory.architecture} at ${memory.inputSize} px${checkpointing ? `, ${RECOMPUTING},` : ''}`;
  if (fits < 1) {
    throw new TrainError(
      'invalid-option',
      `Training ${what} needs about ${size(need(1))} even one image at a time, more than the ` +
        `${size(budgetBytes)} this backend can use. Choose a smaller image size or a smaller model, ` +
        'or train on a machine with a GPU.',
    );
  }
  const batch = Math.min(requested, fits);
  return {
    batch,
    bytes: need(batch),
    checkpointing,
    message:
      `Training ${what} takes about ${megabytes(memory.perImageBytes)} per image; a batch of ${requested} ` +
      `would need ${size(need(requested))}, more than the ${size(budgetBytes)} this backend can use, ` +
      `so batches of ${batch} are used instead.`,
  };
}

/**
 * How a training step fits `budgetBytes`. 'off': the asked batch, or the largest that fits. 'on':
 * the same, recomputing activations. 'auto': the asked batch as it is when it fits; else the asked
 * batch recomputing activations (the same training as asked, slower); else the larger of the two
 * batches that fit, with or without recomputation (the closer to the asked training; without on a
 * tie, as faster). `checkpointed` is needed unless 'off' or the asked batch fits as it is.
 */
export function chooseTrainingStep(
  requested: number,
  budgetBytes: number,
  setting: CheckpointingSetting,
  plain: TrainingMemory,
  checkpointed?: TrainingMemory,
): BatchChoice {
  if (setting === 'off' || (setting === 'auto' && stepBytes(plain, requested) <= budgetBytes)) {
    return fitBatchSize(requested, plain, budgetBytes);
  }
  if (!checkpointed) throw new Error('chooseTrainingStep: the checkpointed step was not measured.');
  if (setting === 'on') return fitBatchSize(requested, checkpointed, budgetBytes);
  const bytes = stepBytes(checkpointed, requested);
  if (bytes <= budgetBytes) {
    return {
      batch: requested,
      bytes,
      checkpointing: true,
      message:
        `Training ${plain.architecture} at ${plain.inputSize} px needs ${size(stepBytes(plain, requested))} ` +
        `for a batch of ${requested} and this backend can give training ${size(budgetBytes)}: keeping ` +
        `the batch of ${requested} by ${RECOMPUTING} (${RECOMPUTING_COST}; needs ${size(bytes)}).`,
    };
  }
  const largest = (memory: TrainingMemory) =>
    Math.floor((budgetBytes - memory.fixedBytes) / Math.max(1, memory.perImageBytes));
  // When not even one image fits, the refusal names the smaller need.
  const recompute =
    largest(checkpointed) > largest(plain) ||
    (largest(plain) < 1 && checkpointed.perImageBytes < plain.perImageBytes);
  return fitBatchSize(requested, recompute ? checkpointed : plain, budgetBytes);
}

const measuredOnce = new Map<string, Promise<TrainingMemory>>();

/**
 * measureTrainingMemory once per process for each architecture, input, backend and way of stepping
 * (a site agent trains the same task round after round).
 */
function measuredMemory(
  architecture: string,
  config: ModelConfig,
  backendName: string,
  checkpointing: boolean,
): Promise<TrainingMemory> {
  const { inputSize, channels, numClasses } = config;
  const key = [architecture, inputSize, channels, numClasses, backendName, checkpointing].join('/');
  let memory = measuredOnce.get(key);
  if (!memory) {
    memory = measureTrainingMemory(architecture, config, { checkpointing });
    measuredOnce.set(key, memory);
    memory.catch(() => measuredOnce.delete(key));
  }
  return memory;
}

/**
 * fitBatchSize for a step on `backendName` as it is, without recomputation: the batch a forward pass
 * alone can surely take (evaluation's bound).
 */
export async function fitTrainingBatch(
  architecture: string,
  config: ModelConfig,
  requested: number,
  backendName: string,
): Promise<BatchChoice> {
  const memory = await measuredMemory(architecture, config, backendName, false);
  return fitBatchSize(requested, memory, trainingMemoryBudget(backendName));
}

/**
 * chooseTrainingStep for a training run on `backendName`, measuring the checkpointed step only when
 * needed; with the measure of the way of stepping chosen.
 */
export async function planTrainingStep(
  architecture: string,
  config: ModelConfig,
  requested: number,
  backendName: string,
  setting: CheckpointingSetting = 'auto',
): Promise<BatchChoice & { memory: TrainingMemory }> {
  const budget = trainingMemoryBudget(backendName);
  const plain = await measuredMemory(architecture, config, backendName, false);
  const needed = setting === 'on' || (setting === 'auto' && stepBytes(plain, requested) > budget);
  const checkpointed = needed ? await measuredMemory(architecture, config, backendName, true) : undefined;
  const choice = chooseTrainingStep(requested, budget, setting, plain, checkpointed);
  return { ...choice, memory: choice.checkpointing ? checkpointed! : plain };
}
