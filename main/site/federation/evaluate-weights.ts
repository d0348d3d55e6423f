// Evaluates a weight set on labelled images: the site's check of each new global model on its
// validation split, and the demo's evaluation of every model on the pooled test set. Inference only
// (batch statistics frozen), on the engine's best backend, in batches that fit the backend's memory.
import type { NamedTensor } from '../../../shared/federation/index.ts';
import {
  assignModelValues,
  BatchLoader,
  createModel,
  fitTrainingBatch,
  selectBackend,
  tf,
  TrainError,
  type BackendChoice,
  type LabelledImage,
  type TrainingTask,
} from '../train/index.ts';
import { toNamedValues } from './training-task.ts';

export interface Evaluation {
  loss: number;
  accuracy: number;
  /** ROC AUC of the last label against the others; null when only one class is present. */
  auc: number | null;
  n: number;
}

export async function evaluateWeights(options: {
  task: TrainingTask;
  weights: readonly NamedTensor[];
  items: readonly LabelledImage[];
  cacheDir?: string;
  batchSize?: number;
  backend?: BackendChoice;
  threads?: number;
  signal?: AbortSignal;
}): Promise<Evaluation> {
  const { task } = options;
  const backend = await selectBackend({
    choice: options.backend ?? 'auto',
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const classes = task.labels.length;
  const config = { inputSize: task.inputSize, channels: 1, numClasses: classes };
  const batchSize = await evaluationBatch(task, config, options.batchSize ?? 32, backend.name);
  const model = createModel(task.model, config);
  const loader = new BatchLoader({
    items: options.items,
    recipe: { size: task.inputSize, window: task.window },
    batchSize,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    shuffle: false,
    augment: false,
  });
  const scores: number[] = [];
  const labels: number[] = [];
  let lossSum = 0;
  let correct = 0;
  try {
    assignModelValues(model, toNamedValues(options.weights));
    for await (const batch of loader.epoch(0, options.signal)) {
      const [probabilities, losses] = tf.tidy(() => {
        const x = tf.tensor4d(batch.images, [batch.count, task.inputSize, task.inputSize, 1]);
        const logits = model.logits(x);
        const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes);
        return [
          tf.softmax(logits),
          tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.NONE),
        ];
      });
      const p = (await probabilities.data()) as Float32Array;
      const l = (await losses.data()) as Float32Array;
      probabilities.dispose();
      losses.dispose();
      for (let i = 0; i < batch.count; i++) {
        const row = p.subarray(i * classes, (i + 1) * classes);
        let best = 0;
        for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
        if (best === batch.labels[i]) correct++;
        scores.push(row[classes - 1]!);
        labels.push(batch.labels[i] === classes - 1 ? 1 : 0);
        lossSum += l[i]!;
      }
    }
  } finally {
    model.dispose();
  }
  const n = labels.length;
  return {
    loss: n === 0 ? 0 : lossSum / n,
    accuracy: n === 0 ? 0 : correct / n,
    auc: rocAuc(scores, labels),
    n,
  };
}

/**
 * The asked batch, or the largest that fits the backend's memory. A caller may ask for a whole test
 * set in one pass (the demo scores every published model so); for ResNet-18 at 256 px, 432 images in
 * one batch overran WebAssembly's 4 GiB: the realistic demo's evaluation crawled for 40 minutes or
 * crashed (issue 21). The training step's measured memory bounds inference's (a forward pass under
 * tf.tidy keeps its activations, and training keeps them and their gradients), and is measured once
 * per process and model, usually already by the training beside it.
 */
async function evaluationBatch(
  task: TrainingTask,
  config: { inputSize: number; channels: number; numClasses: number },
  requested: number,
  backendName: string,
): Promise<number> {
  try {
    return (await fitTrainingBatch(task.model, config, requested, backendName)).batch;
  } catch (error) {
    // Not even one image fits a training step: inference, which needs less, goes one at a time.
    if (error instanceof TrainError && error.code === 'invalid-option') return 1;
    throw error;
  }
}

/** Mann–Whitney estimate of P(score of a positive > score of a negative), ties counting half. */
export function rocAuc(scores: readonly number[], positive: readonly number[]): number | null {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!] === 1) {
        rankSum += rank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
