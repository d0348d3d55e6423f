// DP-SGD gradients on a small softmax regression: per-microbatch clipping matches a by-hand
// computation, no clipping and one microbatch is the plain gradient, and the noise has std σC/m.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { dpSgdGradients, microbatchSizes } from './dp-sgd.ts';

const silent = (count: number) => new Float64Array(count);
const ones = (count: number) => new Float64Array(count).fill(1);

let w: tf.Variable;
let x: tf.Tensor;
let y: tf.Tensor;
const lossOf = (xs: tf.Tensor, ys: tf.Tensor) =>
  tf.losses.softmaxCrossEntropy(ys, tf.matMul(xs as tf.Tensor2D, w)) as tf.Scalar;

beforeAll(async () => {
  await selectBackend({ choice: 'cpu' });
  w = tf.variable(tf.tensor2d([0.3, -0.2, 0.1, 0.4, -0.5, 0.2], [3, 2]), true, 'dp-sgd-test/w');
  // Examples of very different sizes, so some gradients are clipped and some are not.
  x = tf.tensor2d([0.1, 0.2, -0.1, 5, -4, 3, 0.3, 0.1, 0.2, -6, 2, 8], [4, 3]);
  y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
});

function gradientOf(xs: tf.Tensor, ys: tf.Tensor): Float32Array {
  const { value, grads } = tf.variableGrads(() => lossOf(xs, ys), [w]);
  value.dispose();
  return grads[w.name]!.dataSync() as Float32Array;
}

describe('DP-SGD gradients', () => {
  it('splits a batch into even microbatches', () => {
    expect(microbatchSizes(10, 3)).toEqual([4, 3, 3]);
    expect(microbatchSizes(2, 8)).toEqual([1, 1]);
    expect(microbatchSizes(32, 32)).toEqual(Array(32).fill(1));
  });

  it('averages per-example gradients each clipped to C (matches a by-hand computation)', () => {
    const C = 0.5;
    const expected = new Float64Array(6);
    for (let i = 0; i < 4; i += 1) {
      const g = gradientOf(tf.slice(x, [i, 0], [1, 3]), tf.slice(y, [i, 0], [1, 2]));
      const norm = Math.hypot(...g);
      const factor = Math.min(1, C / norm);
      g.forEach((value, j) => (expected[j]! += (value * factor) / 4));
    }
    const { value, grads } = dpSgdGradients(lossOf, x, y, [w], {
      l2NormClip: C,
      noiseMultiplier: 1,
      microbatches: 4,
      gaussian: silent,
    });
    const got = grads[w.name]!.dataSync();
    got.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 5));
    expect(Math.hypot(...got)).toBeLessThanOrEqual(C + 1e-6);
    expect(value.dataSync()[0]).toBeCloseTo(lossOf(x, y).dataSync()[0]!, 5);
  });

  it('with a clip that never bites and one microbatch, is the plain batch gradient', () => {
    const plain = gradientOf(x, y);
    const { grads } = dpSgdGradients(lossOf, x, y, [w], {
      l2NormClip: 1e6,
      noiseMultiplier: 1,
      microbatches: 1,
      gaussian: silent,
    });
    grads[w.name]!.dataSync().forEach((v, j) => expect(v).toBeCloseTo(plain[j]!, 5));
  });

  it('adds noise σC to the sum, so σC/m to the mean, and the real source has that std', () => {
    const options = { l2NormClip: 0.5, noiseMultiplier: 2, microbatches: 2 };
    const quiet = dpSgdGradients(lossOf, x, y, [w], { ...options, gaussian: silent }).grads[
      w.name
    ]!.dataSync();
    const shifted = dpSgdGradients(lossOf, x, y, [w], { ...options, gaussian: ones }).grads[
      w.name
    ]!.dataSync();
    shifted.forEach((v, j) => expect(v - quiet[j]!).toBeCloseTo((2 * 0.5) / 2, 5));

    const big = tf.variable(tf.zeros([40_000]), true, 'dp-sgd-test/big');
    const zeroLoss = () => tf.mul(tf.sum(big), 0) as tf.Scalar;
    const noised = Array.from(dpSgdGradients(zeroLoss, x, y, [big], options).grads[big.name]!.dataSync());
    const mean = noised.reduce((a, b) => a + b, 0) / noised.length;
    const std = Math.sqrt(noised.reduce((a, b) => a + (b - mean) ** 2, 0) / (noised.length - 1));
    // SE of the sample std ≈ 0.35% here: 3% is far outside chance.
    expect(Math.abs(std / 0.5 - 1)).toBeLessThan(0.03);
    big.dispose();
  });
});
