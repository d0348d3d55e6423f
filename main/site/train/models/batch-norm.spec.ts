// Batch normalisation through the WebAssembly passes (kernels/batch-norm-kernels.ts, batch-norm-op.ts)
// against the tfjs composition it replaces (batch-norm.ts with RADFED_WASM_BATCH_NORM=0): the output,
// the input, scale and offset gradients and the running statistics, on shapes whose rows are not a
// whole number of blocks, one vector of channels, ResNet-18's widths, and a mean far from zero.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { BN_MOMENTS, batchNormKernelsFor, registerTrainingKernels } from '../kernels/index.ts';
import { batchNormTraining } from './batch-norm.ts';

/** The largest difference over the largest value. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let [diff, scale] = [0, 0];
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

interface Outcome {
  y: Float32Array;
  dx: Float32Array;
  dGamma: Float32Array;
  dBeta: Float32Array;
  runningMean: Float32Array;
  runningVariance: Float32Array;
  kernels: string[];
  /** y from the same x, γ and β in float64. */
  exactY: Float64Array;
}

/** Batch normalisation's output in float64, channels last. */
function exactOutput(x: Float32Array, gamma: Float32Array, beta: Float32Array, C: number): Float64Array {
  const rows = x.length / C;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let i = 0; i < x.length; i++) mean[i % C]! += x[i]! / rows;
  for (let i = 0; i < x.length; i++) variance[i % C]! += (x[i]! - mean[i % C]!) ** 2 / rows;
  return Float64Array.from(
    x,
    (v, i) => ((v - mean[i % C]!) / Math.sqrt(variance[i % C]! + 1e-5)) * gamma[i % C]! + beta[i % C]!,
  );
}

async function normalise(
  shape: [number, number, number, number],
  centre: number,
  seed: number,
): Promise<Outcome> {
  const C = shape[3];
  const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), 2.5), centre) as tf.Tensor4D;
  const dy = tf.randomNormal(shape, 0, 1, 'float32', seed + 1) as tf.Tensor4D;
  const gamma = tf.randomUniform([C], 0.5, 1.5, 'float32', seed + 2) as tf.Tensor1D;
  const beta = tf.randomNormal([C], 0, 1, 'float32', seed + 3) as tf.Tensor1D;
  const running = {
    mean: tf.variable(tf.zeros([C]), false),
    variance: tf.variable(tf.ones([C]), false),
    momentum: 0.1,
  };
  let y: Float32Array = new Float32Array();
  let grads: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    const { value, grads: g } = tf.valueAndGrads((input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) =>
      batchNormTraining(input as tf.Tensor4D, scale as tf.Tensor1D, offset as tf.Tensor1D, running, 1e-5),
    )([x, gamma, beta], dy);
    y = value.dataSync() as Float32Array;
    value.dispose();
    grads = g;
  });
  const [dx, dGamma, dBeta] = grads.map((g) => g.dataSync() as Float32Array);
  const outcome = {
    y,
    dx: dx!,
    dGamma: dGamma!,
    dBeta: dBeta!,
    runningMean: running.mean.dataSync() as Float32Array,
    runningVariance: running.variance.dataSync() as Float32Array,
    kernels: profile.kernels.map((k) => k.name),
    exactY: exactOutput(
      x.dataSync() as Float32Array,
      gamma.dataSync() as Float32Array,
      beta.dataSync() as Float32Array,
      C,
    ),
  };
  tf.dispose([x, dy, gamma, beta, running.mean, running.variance, ...grads]);
  return outcome;
}

describe('batch normalisation in WebAssembly passes', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
    registerTrainingKernels('wasm');
  });
  afterEach(() => {
    delete process.env.RADFED_WASM_BATCH_NORM;
  });

  it('is taken for channels in fours, and not otherwise or when switched off', () => {
    expect(batchNormKernelsFor(64)).toBe(true);
    expect(batchNormKernelsFor(6)).toBe(false);
    process.env.RADFED_WASM_BATCH_NORM = '0';
    expect(batchNormKernelsFor(64)).toBe(false);
  });

  it.each([
    [[3, 11, 13, 12], 0], // 429 rows: three whole blocks of 128 and a part
    [[2, 5, 7, 4], 0], // one vector of channels
    [[4, 14, 14, 64], 0], // ResNet-18's first width
    [[2, 7, 7, 512], 0], // and its last
  ] as const)('equals tfjs’s ops (to 1e-5) on %j, centred on %i', async (shape, centre) => {
    const ours = await normalise([...shape], centre, 17);
    process.env.RADFED_WASM_BATCH_NORM = '0';
    const theirs = await normalise([...shape], centre, 17);
    expect(ours.kernels).toContain(BN_MOMENTS);
    expect(theirs.kernels).not.toContain(BN_MOMENTS);
    for (const key of ['y', 'dx', 'dGamma', 'dBeta', 'runningMean', 'runningVariance'] as const) {
      expect(relativeError(ours[key], theirs[key]), key).toBeLessThan(1e-5);
    }
  });

  it('keeps its precision where the mean is 400 standard deviations from zero (closer to float64 than tfjs’s ops)', async () => {
    const ours = await normalise([2, 9, 9, 16], 1000, 23);
    process.env.RADFED_WASM_BATCH_NORM = '0';
    const theirs = await normalise([2, 9, 9, 16], 1000, 23);
    const [ourError, theirError] = [
      relativeError(ours.y, ours.exactY),
      relativeError(theirs.y, theirs.exactY),
    ];
    expect(ourError).toBeLessThan(1e-5);
    expect(ourError).toBeLessThanOrEqual(theirError);
    for (const key of ['dx', 'dGamma', 'dBeta'] as const) {
      expect(relativeError(ours[key], theirs[key]), key).toBeLessThan(2e-3);
    }
  });
});
