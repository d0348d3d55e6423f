// Test support: what a split step is checked against. Cut at any point, a split step with float32
// frames must be one step of the whole model: the same loss, the same gradient of every weight and, after
// plain SGD, the same weights (split-step, label-sharing-step and split-backends specs).
import { expect } from 'vitest';
import { tf } from '../../backend/index.ts';
import type { ImageModel } from '../../models/index.ts';
import { sgdOptimizer } from '../segment-optimizer.ts';

/**
 * One step of the whole `model` on `x` and `labels` (softmax cross-entropy): its loss and every
 * trainable weight's gradient by parameter name; with `rate`, the model's weights are then moved by
 * SGD at that rate, as the split parties' optimizers move theirs.
 */
export function wholeModelStep(
  model: ImageModel,
  x: tf.Tensor4D,
  labels: Int32Array,
  numClasses: number,
  rate?: number,
): { loss: number; gradients: Map<string, Float32Array> } {
  const trainable = model.parameters.filter((p) => p.trainable);
  const expected = tf.variableGrads(
    () =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses),
        model.logits(x, { training: true }),
      ) as tf.Scalar,
    trainable.map((p) => p.variable),
  );
  const gradients = new Map(
    trainable.map((p) => [p.name, Float32Array.from(expected.grads[p.variable.name]!.dataSync())]),
  );
  if (rate !== undefined)
    sgdOptimizer(rate).apply(
      new Map(trainable.map((p) => [p.name, expected.grads[p.variable.name]!])),
      trainable,
    );
  return { loss: expected.value.dataSync()[0]!, gradients };
}

/** Every parameter's values by name, copied (a later step does not change them). */
export const valuesOf = (model: ImageModel): Map<string, Float32Array> =>
  new Map(model.parameters.map((p) => [p.name, Float32Array.from(p.variable.dataSync())]));

/** The largest gap between `a` and `b`, relative to a's largest magnitude (at least 1). */
export function maxGap(a: Float32Array, b: Float32Array): number {
  let gap = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    gap = Math.max(gap, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return gap / scale;
}

/**
 * Expects the split parties' gradients (by parameter name) to be every trainable weight's and each
 * within 1e-5 of the whole model's step, and the weights each party trains (`trained`: its model and
 * the parameters it owns) within 1e-6 of the whole model's after the step.
 */
export function expectOneWholeModelStep(
  whole: ImageModel,
  expected: { gradients: Map<string, Float32Array> },
  gradients: Map<string, Float32Array>,
  trained: readonly { model: ImageModel; parameters: readonly { name: string }[] }[],
): void {
  const trainable = whole.parameters.filter((p) => p.trainable).map((p) => p.name);
  expect([...gradients.keys()].sort()).toEqual([...trainable].sort());
  for (const name of trainable)
    expect(maxGap(gradients.get(name)!, expected.gradients.get(name)!), name).toBeLessThan(1e-5);
  const after = valuesOf(whole);
  for (const { model, parameters } of trained) {
    const values = valuesOf(model);
    for (const p of parameters)
      expect(maxGap(values.get(p.name)!, after.get(p.name)!), p.name).toBeLessThan(1e-6);
  }
}
