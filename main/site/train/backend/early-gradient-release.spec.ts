// A backward pass that frees each node's gradients and saved tensors once used gives the same
// gradients, bit for bit, as tfjs's own pass, with a lower peak, and leaves a caller's dy alone.
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../models/index.ts';
import { releaseGradientsEarly } from './early-gradient-release.ts';
import { selectBackend, tf } from './index.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm', threads: 1 });
});

async function step(architecture: string, early: boolean) {
  releaseGradientsEarly(early);
  const model = createModel(architecture, { inputSize: 32, channels: 1, numClasses: 2, seed: 4 });
  try {
    const variables = model.parameters.filter((p) => p.trainable).map((p) => p.variable);
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2);
    const before = tf.memory().numBytes;
    let values: Float32Array[] = [];
    const { peakBytes } = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.logits(x, { training: true })) as tf.Scalar,
        variables,
      );
      values = variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([x, y]);
    return { values, peak: peakBytes - before, left: tf.memory().numBytes - before };
  } finally {
    model.dispose();
    releaseGradientsEarly(true);
  }
}

describe('early release of a backward pass’s tensors', () => {
  it.each(['densenet-121', 'resnet-small'])(
    'gives %s the same gradients as tfjs’s own pass, with less memory at the peak',
    async (architecture) => {
      const kept = await step(architecture, false);
      const freed = await step(architecture, true);
      expect(freed.values).toEqual(kept.values);
      expect(freed.left).toBe(kept.left);
      // DenseNet's blocks keep many activation-sized gradients: measured 0.58 of the peak at 64 px.
      if (architecture === 'densenet-121') expect(freed.peak).toBeLessThan(0.8 * kept.peak);
      else expect(freed.peak).toBeLessThanOrEqual(kept.peak);
    },
    60_000,
  );

  it('leaves the caller’s dy and an input used twice alone', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const dy = tf.tensor1d([1, 10, 100]);
    // The same tensor reaches the output through two paths, whose gradients tfjs adds.
    const gradient = tf.grad((v: tf.Tensor) => tf.add(tf.mul(v, v), tf.relu(v)))(x, dy);
    expect(Array.from(gradient.dataSync())).toEqual([3, 50, 700]);
    expect(dy.isDisposed).toBe(false);
    expect(Array.from(dy.dataSync())).toEqual([1, 10, 100]);
    tf.dispose([x, dy, gradient]);
  });

  it('frees nothing inside a nested (second-order) gradient', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const second = tf.grad((v: tf.Tensor) => tf.grad((w: tf.Tensor) => tf.sum(tf.pow(w, 3)))(v))(x);
    expect(Array.from(second.dataSync())).toEqual([6, 12, 18]);
    tf.dispose([x, second]);
  });
});
