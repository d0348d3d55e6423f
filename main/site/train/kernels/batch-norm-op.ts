// Batch normalisation for training through the WebAssembly kernels of batch-norm-kernels.ts: the same
// op as models/batch-norm.ts (its forward, its gradient, its running statistics), in four passes over
// the activations. The caller updates its running statistics from the batch's (onStatistics).
import {
  customGrad,
  engine,
  getBackend,
  getKernel,
  tidy,
  type GradSaveFunc,
  type Tensor,
  type Tensor1D,
  type Tensor4D,
} from '@tensorflow/tfjs-core';
import { add, div, mul, neg, rsqrt } from '@tensorflow/tfjs-core';
import { BN_GRAD_SUMS, BN_MOMENTS, CHANNEL_MIX, SCALE_SHIFT } from './batch-norm-kernels.ts';
import { BN_GRAD_COEFFICIENTS, BN_MOMENTS_SCALE, CHANNEL_MIX_PACKED } from './webgpu-batch-norm.ts';

const run = (name: string, inputs: Record<string, Tensor>, attrs = {}) =>
  engine().runKernel(name, inputs, attrs) as Tensor | Tensor[];

/** The forward's 1/σ and γ/σ, and the gradients, with tfjs's kernels for the arithmetic on C values. */
function perChannelOps(epsilon: number) {
  return {
    moments(input: Tensor, scale: Tensor) {
      const [mean, variance] = run(BN_MOMENTS, { x: input }) as [Tensor, Tensor];
      const invStd = rsqrt(add(variance, epsilon));
      return [mean, variance, invStd, mul(scale, invStd)] as const;
    },
    gradients(d: Tensor, xs: Tensor, mu: Tensor, g: Tensor, inverse: Tensor, count: number) {
      const [dBeta, sumDyCentred] = run(BN_GRAD_SUMS, { dy: d, x: xs, mean: mu }) as [Tensor, Tensor];
      const dGamma = mul(sumDyCentred, inverse);
      // dx = A·dy + B·(x − μ) + D, the per-channel expansion of γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)).
      const [A, B, D] = tidy(() => {
        const A = mul(g, inverse);
        const B = neg(mul(mul(A, mul(inverse, inverse)), div(sumDyCentred, count)));
        return [A, B, neg(mul(A, div(dBeta, count)))];
      });
      const dx = run(CHANNEL_MIX, { u: d, v: xs, a: A, b: B, centre: mu, c: D }) as Tensor;
      return [dx, dGamma, dBeta];
    },
  };
}

/** The same where the backend folds that arithmetic into the sums' finish (WebGPU): no kernel on C values. */
function foldedOps(epsilon: number) {
  return {
    moments: (input: Tensor, scale: Tensor) =>
      run(BN_MOMENTS_SCALE, { x: input, gamma: scale }, { epsilon }) as [Tensor, Tensor, Tensor, Tensor],
    gradients(d: Tensor, xs: Tensor, mu: Tensor, g: Tensor, inverse: Tensor) {
      const inputs = { dy: d, x: xs, mean: mu, gamma: g, invStd: inverse };
      const [dBeta, dGamma, coefficients] = run(BN_GRAD_COEFFICIENTS, inputs) as [Tensor, Tensor, Tensor];
      const dx = run(CHANNEL_MIX_PACKED, { u: d, v: xs, coefficients: coefficients!, centre: mu }) as Tensor;
      return [dx, dGamma, dBeta];
    },
  };
}

/**
 * y = γ·(x − μ_B)/√(σ²_B + ε) + β over the batch's per-channel statistics, x channels-last with
 * channels in fours (batchNormKernelsFor). `onStatistics(mean, variance, count)`: the batch's.
 */
export function batchNormByKernels(
  x: Tensor4D,
  gamma: Tensor1D,
  beta: Tensor1D,
  epsilon: number,
  onStatistics: (mean: Tensor, variance: Tensor, count: number) => void,
): Tensor4D {
  // Each of tfjs's small kernels on C values is a dispatch on WebGPU: folding them into the sums saves
  // 13 a layer there (ResNet-18, 224 px, b32: 754 → 494 dispatches a step, docs/benchmarks.md).
  const ops = getKernel(BN_MOMENTS_SCALE, getBackend()) ? foldedOps(epsilon) : perChannelOps(epsilon);
  const forward = (input: Tensor, scale: Tensor, offset: Tensor, save: GradSaveFunc) => {
    const count = input.size / input.shape[3]!;
    const [mean, variance, invStd, a] = ops.moments(input, scale);
    onStatistics(mean, variance, count);
    save([input, mean, invStd, scale]);
    return {
      value: run(SCALE_SHIFT, { x: input, centre: mean, scale: a, shift: offset }) as Tensor,
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const [xs, mu, inverse, g] = saved as [Tensor, Tensor, Tensor, Tensor];
        const d = dy as Tensor;
        return ops.gradients(d, xs, mu, g, inverse, count);
      },
    };
  };
  const op = customGrad(forward as unknown as Parameters<typeof customGrad>[0]);
  return op(x, gamma, beta) as Tensor4D;
}
