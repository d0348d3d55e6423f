// DP-SGD gradients (Abadi et al. 2016): the batch is split into microbatches, each microbatch's
// gradient is clipped to L2 norm C over all weights, the clipped gradients are summed, Gaussian noise
// N(0, (σC)²) from the cryptographic generator is added, and the result is divided by the number of
// microbatches. One example moves the sum by at most C, whatever its content.
import { cryptoGaussian, type GaussianSource } from '../../../../shared/node/privacy/index.ts';
import { tf } from '../backend/index.ts';

export interface DpSgdOptions {
  readonly l2NormClip: number;
  readonly noiseMultiplier: number;
  readonly microbatches: number;
  /** Tests may pass a silent or fixed source; training uses the cryptographic one. */
  readonly gaussian?: GaussianSource;
}

/** Sizes of `parts` microbatches covering `count` examples, as even as possible. */
export function microbatchSizes(count: number, parts: number): number[] {
  const n = Math.max(1, Math.min(parts, count));
  return Array.from({ length: n }, (_, i) => Math.floor(count / n) + (i < count % n ? 1 : 0));
}

/** The batch's mean loss and the noised, clipped gradient of every variable (caller disposes both). */
export function dpSgdGradients(
  lossOf: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  y: tf.Tensor,
  variables: readonly tf.Variable[],
  options: DpSgdOptions,
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const count = x.shape[0] as number;
  const sizes = microbatchSizes(count, options.microbatches);
  const xs = tf.split(x, sizes, 0);
  const ys = tf.split(y, sizes, 0);
  const sums = new Map<string, tf.Tensor>();
  let lossSum: tf.Tensor = tf.scalar(0);
  sizes.forEach((size, i) => {
    const { value, grads } = tf.variableGrads(() => lossOf(xs[i]!, ys[i]!), [...variables]);
    tf.tidy(() => {
      const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
      const norm = tf.sqrt(tf.addN(squares));
      // min(1, C / norm): scaled down only when above C.
      const factor = tf.minimum(1, tf.div(options.l2NormClip, tf.maximum(norm, 1e-12)));
      for (const [name, gradient] of Object.entries(grads)) {
        const clipped = tf.mul(gradient, factor);
        const previous = sums.get(name);
        sums.set(name, tf.keep(previous ? tf.add(previous, clipped) : clipped));
        previous?.dispose();
      }
      const nextLoss = tf.keep(tf.add(lossSum, tf.mul(value, size)));
      lossSum.dispose();
      lossSum = nextLoss;
    });
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
  });
  for (const t of [...xs, ...ys]) t.dispose();
  const gaussian = options.gaussian ?? cryptoGaussian;
  const std = options.noiseMultiplier * options.l2NormClip;
  const grads: tf.NamedTensorMap = {};
  for (const [name, sum] of sums) {
    grads[name] = tf.tidy(() => {
      const noise = Float32Array.from(gaussian(sum.size), (value) => value * std);
      return tf.div(tf.add(sum, tf.tensor(noise, sum.shape)), sizes.length);
    });
    sum.dispose();
  }
  const value = tf.tidy(() => tf.div(lossSum, count) as tf.Scalar);
  lossSum.dispose();
  return { value, grads };
}
