// How much memory a training step of a model takes, per image and in all, and the largest batch that
// fits the backend's memory. Measured, not estimated: the engine's peak bytes over one forward and
// backward pass at batch 2 and at batch 4 (tf.profile), on a throwaway copy of the model (a training
// pass moves batch norm's running statistics). A batch of b then needs at most fixed + b × perImage.
// Since a backward pass frees its tensors as it goes (backend/early-gradient-release.ts), the peak of a
// small batch is mostly the weights' gradients and grows faster from 4 images on than from 2 to 4
// (resnet-small at 32 px, 2026-12-07: 0.27 MB per image from 2 to 4, 0.38 from 8 to 16), so the
// per-image figure is also at least the batch-4 peak above the weights and their gradients, over 4.
import os from 'node:os';
import { tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import type { ModelConfig } from './model.ts';
import { createModel } from './registry.ts';

export interface TrainingMemory {
  architecture: string;
  inputSize: number;
  /** Weights, their gradients and what does not grow with the batch. */
  fixedBytes: number;
  /** Activations kept for the backward pass and the gradients that flow through them, per image. */
  perImageBytes: number;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;

export async function measureTrainingMemory(
  architecture: string,
  config: ModelConfig,
): Promise<TrainingMemory> {
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
          const { value, grads } = tf.variableGrads(
            () => tf.losses.softmaxCrossEntropy(y, model.logits(x, { training: true })) as tf.Scalar,
            trainable,
          );
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
    return { architecture, inputSize: config.inputSize, fixedBytes, perImageBytes };
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
  /** In plain words, when the batch was made smaller than asked. */
  message?: string;
}

const megabytes = (bytes: number) => `${Math.round(bytes / MB)} MB`;
const size = (bytes: number) => (bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : megabytes(bytes));

/** The requested batch when it fits `budgetBytes`, else the largest that does, with a sentence saying so. */
export function fitBatchSize(requested: number, memory: TrainingMemory, budgetBytes: number): BatchChoice {
  const need = (batch: number) => memory.fixedBytes + batch * memory.perImageBytes;
  if (need(requested) <= budgetBytes) return { batch: requested, bytes: need(requested) };
  const fits = Math.floor((budgetBytes - memory.fixedBytes) / Math.max(1, memory.perImageBytes));
  const what = `${memory.architecture} at ${memory.inputSize} px`;
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
    message:
      `Training ${what} takes about ${megabytes(memory.perImageBytes)} per image; a batch of ${requested} ` +
      `would need ${size(need(requested))}, more than the ${size(budgetBytes)} this backend can use, ` +
      `so batches of ${batch} are used instead.`,
  };
}

const measuredOnce = new Map<string, Promise<TrainingMemory>>();

/**
 * fitBatchSize for a training run on `backendName`, the memory measured once per process for each
 * architecture, input and backend (a site agent trains the same task round after round).
 */
export async function fitTrainingBatch(
  architecture: string,
  config: ModelConfig,
  requested: number,
  backendName: string,
): Promise<BatchChoice> {
  const key = [architecture, config.inputSize, config.channels, config.numClasses, backendName].join('/');
  let memory = measuredOnce.get(key);
  if (!memory) {
    memory = measureTrainingMemory(architecture, config);
    measuredOnce.set(key, memory);
    memory.catch(() => measuredOnce.delete(key));
  }
  return fitBatchSize(requested, await memory, trainingMemoryBudget(backendName));
}
