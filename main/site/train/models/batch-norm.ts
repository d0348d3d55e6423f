// Batch normalisation for training (Ioffe & Szegedy 2015) as one op with its own gradient:
//   y = γ·x̂ + β, x̂ = (x − μ_B)/√(σ²_B + ε);  dx = γ/√(σ²_B + ε)·(dy − mean(dy) − x̂·mean(dy·x̂)),
//   dγ = Σ dy·x̂, dβ = Σ dy  (sums and means over batch, rows and columns).
// tfjs differentiates its batchNorm and the moments separately, through Tile kernels that copy the
// statistics to the full activation size; that alone took a third of a residual network's step.
// The running statistics are updated in the forward pass (PyTorch's momentum convention), unless
// `running` is null: split learning's second pass over the same batch (see StageMode's 'replay').
// On WebAssembly, the same op runs as four SIMD passes over the activations (kernels/batch-norm-op.ts).
import { tf } from '../backend/index.ts';
import { batchNormByKernels, batchNormKernelsFor } from '../kernels/index.ts';

const AXES = [0, 1, 2];

export function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: { mean: tf.Variable; variance: tf.Variable; momentum: number } | null,
  epsilon: number,
): tf.Tensor4D {
  const updateRunning = (mean: tf.Tensor, variance: tf.Tensor, count: number) => {
    if (!running) return;
    const m = running.momentum;
    running.mean.assign(tf.add(tf.mul(running.mean, 1 - m), tf.mul(mean, m)));
    const unbiased = tf.mul(variance, count / Math.max(1, count - 1));
    running.variance.assign(tf.add(tf.mul(running.variance, 1 - m), tf.mul(unbiased, m)));
  };
  if (batchNormKernelsFor(x.shape[3])) return batchNormByKernels(x, gamma, beta, epsilon, updateRunning);
  const forward = (input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, save: tf.GradSaveFunc) => {
    const { mean, variance } = tf.moments(input, AXES);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const normalised = tf.mul(tf.sub(input, mean), invStd);
    const count = input.size / input.shape[3]!;
    updateRunning(mean, variance, count);
    save([normalised, invStd, scale]);
    return {
      value: tf.add(tf.mul(normalised, scale), offset),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xHat, inverse, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const d = dy as tf.Tensor;
        const dBeta = tf.sum(d, AXES);
        const dGamma = tf.sum(tf.mul(d, xHat), AXES);
        const meanDy = tf.div(dBeta, count);
        const meanDyXHat = tf.div(dGamma, count);
        const dx = tf.mul(tf.sub(tf.sub(d, meanDy), tf.mul(xHat, meanDyXHat)), tf.mul(g, inverse));
        return [dx, dGamma, dBeta];
      },
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, gamma, beta) as tf.Tensor4D;
}
