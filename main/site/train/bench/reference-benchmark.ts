// `radfed bench train`: trains the reference CNN on random data exactly as
// ../shared/bench/torch_reference.py does (same model, Adam 1e-3, float32, `batches` batches per
// epoch, images per second = median of the epochs after the first), so the two figures compare; or
// ResNet-18 as bench/resnet18_reference.py does. When a training step of the asked batch would not
// fit the backend's memory, activations are recomputed in the backward pass or the batch is made
// smaller (as a training run does, models/training-memory.ts), with a sentence saying so. SGD with
// momentum may replace Adam (`optimizer`); the PyTorch references train with Adam only.
import {
  describeBackend,
  selectBackend,
  tf,
  type BackendChoice,
  type BackendReport,
} from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import {
  checkpointedLogits,
  createModel,
  planTrainingStep,
  type CheckpointingSetting,
  type NamedTensor,
  type TrainingMemory,
} from '../models/index.ts';
import { createOptimizer, type Optimizer, type OptimizerName } from '../trainer/index.ts';

export interface ReferenceBenchOptions {
  backend: BackendChoice;
  /** A registered architecture (default the reference CNN). */
  model?: string;
  /** Adam 1e-3 as the PyTorch references (default), or SGD with momentum 0.9 at the same rate. */
  optimizer?: OptimizerName;
  /** Recompute activations in the backward pass: when memory is short (default), always, or never. */
  checkpointing?: CheckpointingSetting;
  size: number;
  batch: number;
  batches: number;
  epochs: number;
  threads?: number;
  /** Time each kernel over one extra step (tf.profile) and report the slowest. */
  profile?: boolean;
  log?: (line: string) => void;
}

export interface EpochFigure {
  epoch: number;
  seconds: number;
  imagesPerSecond: number;
  loss: number;
}

export interface KernelFigure {
  kernel: string;
  milliseconds: number;
  calls: number;
}

/** One step's time by phase (median of a few steps), for `--profile`. */
export interface StepPhases {
  /** The loss alone, no gradient recorded. */
  forwardMs: number;
  /** Gradients of the loss (the forward pass again, recorded, then the backward pass), less the forward. */
  backwardMs: number;
  /** The optimizer's update of every weight. */
  optimizerMs: number;
}

export interface ReferenceBenchResult {
  impl: 'tfjs';
  model: string;
  optimizer: OptimizerName;
  backend: BackendReport['name'];
  device: string;
  threads?: number;
  size: number;
  batch: number;
  batches: number;
  epochs: EpochFigure[];
  /** Median of the epochs after the first (the first warms up). */
  imagesPerSecond: number;
  kernels?: KernelFigure[];
  phases?: StepPhases;
  /** A training step's memory, measured, and the batch it allowed. */
  memory: TrainingMemory & { batchBytes: number; message?: string };
  report: BackendReport;
}

export async function benchmarkReferenceTraining(
  options: ReferenceBenchOptions,
): Promise<ReferenceBenchResult> {
  const report = await selectBackend({ choice: options.backend, threads: options.threads });
  options.log?.(describeBackend(report));
  const { size, batches } = options;
  const architecture = options.model ?? 'reference-cnn';
  const config = { inputSize: size, channels: 1, numClasses: 2, seed: 0 };
  const fitted = await planTrainingStep(
    architecture,
    config,
    options.batch,
    report.name,
    options.checkpointing ?? 'auto',
  );
  if (fitted.message) options.log?.(fitted.message);
  const batch = fitted.batch;
  const model = createModel(architecture, config);
  const optimizerName = options.optimizer ?? 'adam';
  const optimizer = createOptimizer(optimizerName, 1e-3);
  const random = new SeededRandom(0);
  const n = batch * batches;
  // The batches as separate tensors, as PyTorch's x[i:i + batch] are views that cost nothing.
  const images = Array.from({ length: batches }, () =>
    tf.tensor4d(random.floats(batch * size * size), [batch, size, size, 1]),
  );
  const labels = Array.from({ length: batches }, () =>
    tf.oneHot(
      tf.tensor1d(
        Int32Array.from({ length: batch }, () => random.int(0, 1)),
        'int32',
      ),
      2,
    ),
  );
  const trainable = model.parameters.filter((p) => p.trainable);
  const lossOf = (i: number) => {
    const x = images[i]!;
    const logits = fitted.checkpointing ? checkpointedLogits(model, x) : model.logits(x, { training: true });
    return tf.losses.softmaxCrossEntropy(labels[i]!, logits) as tf.Scalar;
  };
  const step = (i: number): tf.Scalar => optimizer.minimize(() => lossOf(i), trainable);

  const epochs: EpochFigure[] = [];
  try {
    for (let e = 0; e < options.epochs; e++) {
      const t0 = performance.now();
      let loss = 0;
      for (let i = 0; i < batches; i++) {
        const value = step(i);
        // Like loss.item() in PyTorch at the end of an epoch: wait for the last step to finish.
        if (i === batches - 1) loss = (await value.data())[0]!;
        value.dispose();
      }
      const seconds = (performance.now() - t0) / 1000;
      const figure = { epoch: e, seconds, imagesPerSecond: n / seconds, loss };
      epochs.push(figure);
      options.log?.(
        JSON.stringify({ epoch: e, seconds: round(seconds, 4), images_per_s: round(n / seconds, 1) }),
      );
    }
    const kernels = options.profile ? await profileStep(() => step(0)) : undefined;
    const phases = options.profile ? await timePhases(() => lossOf(0), optimizer, trainable) : undefined;
    const steady = (epochs.length > 1 ? epochs.slice(1) : epochs).map((e) => e.imagesPerSecond);
    return {
      impl: 'tfjs',
      model: architecture,
      optimizer: optimizerName,
      backend: report.name,
      device: report.device,
      threads: report.threads,
      size,
      batch,
      batches,
      epochs,
      imagesPerSecond: round(median(steady), 1),
      kernels,
      phases,
      memory: { ...fitted.memory, batchBytes: fitted.bytes, message: fitted.message },
      report,
    };
  } finally {
    tf.dispose([...images, ...labels]);
    optimizer.dispose();
    model.dispose();
  }
}

async function profileStep(run: () => tf.Scalar): Promise<KernelFigure[]> {
  const info = await tf.profile(() => {
    run().dispose();
  });
  const byName = new Map<string, KernelFigure>();
  for (const k of info.kernels) {
    const figure = byName.get(k.name) ?? { kernel: k.name, milliseconds: 0, calls: 0 };
    figure.milliseconds += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    figure.calls++;
    byName.set(k.name, figure);
  }
  return [...byName.values()]
    .map((f) => ({ ...f, milliseconds: round(f.milliseconds, 2) }))
    .sort((a, b) => b.milliseconds - a.milliseconds);
}

/**
 * Median over five steps of each phase. Each phase ends with a read that waits for its kernels:
 * WebAssembly runs them synchronously, WebGPU queues them (and in Node can only be read asynchronously).
 */
async function timePhases(
  loss: () => tf.Scalar,
  optimizer: Optimizer,
  parameters: readonly NamedTensor[],
): Promise<StepPhases> {
  const forward: number[] = [];
  const gradients: number[] = [];
  const update: number[] = [];
  for (let i = 0; i < 5; i++) {
    let t0 = performance.now();
    const value = tf.tidy(loss);
    await value.data();
    value.dispose();
    forward.push(performance.now() - t0);
    t0 = performance.now();
    const { value: recorded, grads } = tf.variableGrads(
      loss,
      parameters.map((p) => p.variable),
    );
    await recorded.data();
    gradients.push(performance.now() - t0);
    t0 = performance.now();
    optimizer.applyGradients(recorded, grads, parameters).dispose();
    // The update is done when the last weights it wrote can be read (a small tensor: the head's bias).
    await parameters.at(-1)?.variable.data();
    update.push(performance.now() - t0);
  }
  const forwardMs = median(forward);
  return {
    forwardMs: round(forwardMs, 1),
    backwardMs: round(Math.max(0, median(gradients) - forwardMs), 1),
    optimizerMs: round(median(update), 1),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
