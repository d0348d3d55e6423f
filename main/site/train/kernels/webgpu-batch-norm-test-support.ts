// For the WebGPU batch-normalisation spec: batch normalisation's statistics and gradients in float64,
// the reference the float32 kernels (WebGPU's and WebAssembly's) are measured against.

export interface ExactBatchNorm {
  mean: Float64Array;
  variance: Float64Array;
  /** Σ dy and Σ dy·(x − mean) per channel, `mean` the one given (the kernel's float32 input). */
  sumDy: Float64Array;
  sumDyCentred: Float64Array;
  y: Float64Array;
  dx: Float64Array;
  dGamma: Float64Array;
}

/** Batch normalisation over channels-last `x` in float64 (biased variance, as the forward pass). */
export function exactBatchNorm(
  x: Float32Array,
  dy: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  channels: number,
  epsilon: number,
  centre?: Float32Array,
): ExactBatchNorm {
  const C = channels;
  const rows = x.length / C;
  const perChannel = () => new Float64Array(C);
  const [mean, variance, sumDy, sumDyCentred, dGamma] = [1, 2, 3, 4, 5].map(perChannel) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  for (let i = 0; i < x.length; i++) mean[i % C]! += x[i]!;
  for (let c = 0; c < C; c++) mean[c]! /= rows;
  for (let i = 0; i < x.length; i++) variance[i % C]! += (x[i]! - mean[i % C]!) ** 2;
  for (let c = 0; c < C; c++) variance[c]! /= rows;
  const invStd = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + epsilon));
  const xHat = Float64Array.from(x, (v, i) => (v - mean[i % C]!) * invStd[i % C]!);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    sumDy[c]! += dy[i]!;
    sumDyCentred[c]! += dy[i]! * (x[i]! - (centre ? centre[c]! : mean[c]!));
    dGamma[c]! += dy[i]! * xHat[i]!;
  }
  const y = Float64Array.from(xHat, (v, i) => v * gamma[i % C]! + beta[i % C]!);
  const dx = Float64Array.from(xHat, (v, i) => {
    const c = i % C;
    return gamma[c]! * invStd[c]! * (dy[i]! - sumDy[c]! / rows - (v * dGamma[c]!) / rows);
  });
  return { mean, variance, sumDy, sumDyCentred, y, dx, dGamma };
}

/** The largest difference over the largest reference value (0 where both are 0). */
export function relativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let [diff, scale] = [0, 0];
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}
