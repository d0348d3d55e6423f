// Evaluates a weight set on labelled images: the site's check of each new global model on its
// validation split, and the demo's evaluation of every model on the pooled test set. Inference only
// (batch statistics frozen), on the engine's best backend.
import type { NamedTensor } from '../../../shared/federation/index.ts';
import {
  assignModelValues,
  BatchLoader,
  createModel,
  selectBackend,
  tf,
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
  await selectBackend({
    choice: options.backend ?? 'auto',
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const classes = task.labels.length;
  const model = createModel(task.model, { inputSize: task.inputSize, channels: 1, numClasses: classes });
  const loader = new BatchLoader({
    items: options.items,
    recipe: { size: task.inputSize, window: task.window },
    batchSize: options.batchSize ?? 32,
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
