// Runs the model over the validation images (no augmentation, batch statistics frozen) and computes
// the metrics.
import { tf } from '../backend/index.ts';
import type { BatchLoader } from '../data/index.ts';
import type { ImageModel } from '../models/index.ts';
import { binaryMetrics, type ValidationMetrics } from './metrics.ts';

export async function evaluate(
  model: ImageModel,
  loader: BatchLoader,
  signal?: AbortSignal,
): Promise<ValidationMetrics> {
  const size = model.config.inputSize;
  const classes = model.config.numClasses;
  const scores: number[] = [];
  const labels: number[] = [];
  let lossSum = 0;
  let correct = 0;
  for await (const batch of loader.epoch(0, signal)) {
    const [probabilities, losses] = tf.tidy(() => {
      const x = tf.tensor4d(batch.images, [batch.count, size, size, 1]);
      const logits = model.logits(x);
      const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes);
      const loss = tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.NONE);
      return [tf.softmax(logits), loss];
    });
    const p = (await probabilities.data()) as Float32Array;
    const l = (await losses.data()) as Float32Array;
    probabilities.dispose();
    losses.dispose();
    for (let i = 0; i < batch.count; i++) {
      const row = Array.from(p.subarray(i * classes, (i + 1) * classes));
      if (row.indexOf(Math.max(...row)) === batch.labels[i]) correct++;
      scores.push(p[i * classes + Math.min(1, classes - 1)]!);
      labels.push(batch.labels[i]!);
      lossSum += l[i]!;
    }
  }
  const loss = labels.length === 0 ? 0 : lossSum / labels.length;
  if (classes === 2) return binaryMetrics(scores, labels, loss);
  // More than two classes: loss and accuracy only.
  return {
    loss,
    accuracy: correct / Math.max(1, labels.length),
    auc: null,
    sensitivity: null,
    specificity: null,
    count: labels.length,
  };
}
