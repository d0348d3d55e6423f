// Batch normalisation's WGSL kernels (webgpu-batch-norm.ts) through models/batch-norm.ts on WebGPU,
// against the cpu backend's batchNormTraining (tfjs's ops): the output, the running statistics and
// the three gradients on odd shapes, C = 1, 3, 5, 64, 512, one and two reduction stages; their sums
// against float64, beside the WebAssembly kernels' on the same data; and the dispatches one forward
// and backward pass records. The GPU parts run on SwiftShader here and skip, by name, without an
// adapter.
import { afterEach, describe, expect, it } from 'vitest';
import { probeDawn, selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { batchNormTraining } from '../models/index.ts';
import { BN_MOMENTS, batchNormKernelsFor, countGpuDispatches } from './index.ts';
import { BN_GRAD_SUMS, SCALE_SHIFT } from './batch-norm-kernels.ts';
import {
  BN_GRAD_COEFFICIENTS,
  BN_MOMENTS_SCALE,
  CHANNEL_MIX_PACKED,
  reductionPlan,
} from './webgpu-batch-norm.ts';
import { rowSumsProgram, wgslSource } from './webgpu-batch-norm-programs.ts';
import { exactBatchNorm, relativeDifference } from './webgpu-batch-norm-test-support.ts';

const dawn = await probeDawn();
const EPSILON = 1e-5;
const FLOAT32_EPSILON = 2 ** -23;
type Shape = [number, number, number, number];

interface Case {
  shape: Shape;
  x: Float32Array;
  dy: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

function randomCase(shape: Shape, seed: number, centre = 0): Case {
  const random = new SeededRandom(seed);
  const size = shape.reduce((p, s) => p * s, 1);
  const C = shape[3];
  return {
    shape,
    x: random.floats(size).map((v) => v * 2.5 + centre),
    dy: random.floats(size),
    gamma: Float32Array.from({ length: C }, () => 0.5 + random.next()),
    beta: random.floats(C),
  };
}

const OUTPUTS = ['y', 'dx', 'dGamma', 'dBeta', 'runningMean', 'runningVariance'] as const;
type Outcome = Record<(typeof OUTPUTS)[number], Float32Array>;

/** batchNormTraining forward and backward on the current backend, read back asynchronously. */
async function train(c: Case): Promise<Outcome> {
  const C = c.shape[3];
  const [x, dy] = [tf.tensor4d(c.x, c.shape), tf.tensor4d(c.dy, c.shape)];
  const [gamma, beta] = [tf.tensor1d(c.gamma), tf.tensor1d(c.beta)];
  const running = { mean: tf.variable(tf.zeros([C])), variance: tf.variable(tf.ones([C])), momentum: 0.1 };
  const { value, grads } = tf.valueAndGrads((input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) =>
    batchNormTraining(input as tf.Tensor4D, scale as tf.Tensor1D, offset as tf.Tensor1D, running, EPSILON),
  )([x, gamma, beta], dy);
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const outcome: Outcome = {
    y: await read(value),
    dx: await read(grads[0]!),
    dGamma: await read(grads[1]!),
    dBeta: await read(grads[2]!),
    runningMean: await read(running.mean),
    runningVariance: await read(running.variance),
  };
  tf.dispose([x, dy, gamma, beta, value, ...grads, running.mean, running.variance]);
  return outcome;
}

/** The two per-channel sums of one of our kernels on the current backend. */
async function sums(kernel: string, inputs: Record<string, Float32Array>, shape: Shape) {
  const C = shape[3];
  const tensors = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, v.length === C ? tf.tensor1d(v) : tf.tensor4d(v, shape)]),
  );
  const out = tf.engine().runKernel(kernel, tensors) as tf.Tensor[];
  const values = [(await out[0]!.data()) as Float32Array, (await out[1]!.data()) as Float32Array];
  tf.dispose([...out, ...Object.values(tensors)]);
  return values;
}

/** The largest per-channel |actual − exact| / scale[c]: an error in units that matter for each sum. */
function scaledError(actual: ArrayLike<number>, exact: ArrayLike<number>, scale: ArrayLike<number>): number {
  let worst = 0;
  for (let c = 0; c < exact.length; c++)
    worst = Math.max(worst, Math.abs(actual[c]! - exact[c]!) / scale[c]!);
  return worst;
}

/** Per channel Σ |term| over the rows: the scale a float sum's rounding is proportional to. */
function magnitudes(terms: (i: number) => number, size: number, C: number): Float64Array {
  const out = new Float64Array(C);
  for (let i = 0; i < size; i++) out[i % C]! += Math.abs(terms(i));
  return out;
}

describe('batch normalisation in WGSL', () => {
  afterEach(() => {
    delete process.env.RADFED_WEBGPU_BATCH_NORM;
  });

  it('reduces small maps in one dispatch and large ones in two stages, each lane adding at most 64 rows', () => {
    // ResNet-18's last stage at batch 2: one workgroup of 64 channels × 4 lanes per tile.
    expect(reductionPlan(2 * 7 * 7, 512)).toMatchObject({ tile: 64, lanes: 4, tiles: 8, chunks: 1 });
    // Its first layer at 224 px, batch 32: 400k rows over 1,568 chunks of 256 rows (64 per lane).
    const first = reductionPlan(32 * 112 * 112, 64);
    expect(first).toMatchObject({ tiles: 1, lanes: 4, rowsPerChunk: 256, chunks: 1568, finishTile: 8 });
    // Fewer rows: smaller chunks, so that about a thousand workgroups still share them.
    const small = reductionPlan(4 * 56 * 56, 64);
    expect(small.chunks * small.tiles).toBeGreaterThanOrEqual(700);
    expect(small.rowsPerChunk / small.lanes).toBeLessThanOrEqual(64);
    // Any channel count: tiles are powers of two, the lanes fill the other 256/tile threads.
    expect(reductionPlan(100, 3)).toMatchObject({ tile: 4, lanes: 64, chunks: 1 });
    expect(reductionPlan(20_000, 1)).toMatchObject({ tile: 1, lanes: 256, finishTile: 1 });
    expect(reductionPlan(20_000, 1).chunks).toBeGreaterThan(1);
  });

  it('binds outputs, then inputs, then the uniforms, in the order the kernels pass them', () => {
    const source = wgslSource(rowSumsProgram('gradSums', 64, false));
    const bindings = [...source.matchAll(/@binding\((\d)\) var<(\w+)(?:, (\w+))?> (\w+)/g)].map((m) =>
      [m[1], m[3] ?? m[2], m[4]].join(' '),
    );
    expect(bindings).toEqual([
      '0 read_write partials',
      '1 read dy',
      '2 read x',
      '3 read mean',
      '4 uniform uniforms',
    ]);
  });

  it.skipIf(!dawn.ok)(
    'is taken on WebGPU for any channel count, and not with RADFED_WEBGPU_BATCH_NORM=0 (needs a WebGPU adapter)',
    async () => {
      await selectBackend({ choice: 'webgpu' });
      expect(batchNormKernelsFor(3)).toBe(true);
      expect(batchNormKernelsFor(64)).toBe(true);
      process.env.RADFED_WEBGPU_BATCH_NORM = '0';
      expect(batchNormKernelsFor(64)).toBe(false);
    },
  );

  it.skipIf(!dawn.ok).each([
    [[3, 5, 7, 1]], // one channel, one dispatch
    [[5, 61, 59, 1]], // one channel, 17,995 rows: two stages
    [[1, 9, 11, 3]],
    [[7, 33, 35, 3]], // three channels over 8,085 rows: two stages, tiles of 4
    [[3, 13, 11, 5]], // two tiles of 4, the second partly empty
    [[5, 7, 3, 64]],
    [[4, 56, 56, 64]], // ResNet-18's first stage at batch 4
    [[3, 7, 7, 512]], // and its last
  ] as [Shape][])(
    'equals the cpu backend’s ops (to 2e-5) on %j: output, running statistics, dx, dγ, dβ (needs a WebGPU adapter)',
    async (shape) => {
      const c = randomCase(
        shape,
        shape.reduce((p, s) => p + s, 0),
      );
      await selectBackend({ choice: 'cpu' });
      const theirs = await train(c);
      await selectBackend({ choice: 'webgpu' });
      const ours = await train(c);
      for (const key of OUTPUTS) expect(relativeDifference(ours[key], theirs[key]), key).toBeLessThan(2e-5);
    },
  );

  it.skipIf(!dawn.ok)(
    'writes every element of a tensor past 65,535 workgroups in x (the grid then spreads over y) (needs a WebGPU adapter)',
    async () => {
      await selectBackend({ choice: 'webgpu' });
      const shape: Shape = [1, 4099, 1024, 4]; // 16,789,504 elements: 65,585 workgroups of 256
      const x = tf.fill(shape, 2);
      const [centre, scale, shift] = [
        tf.tensor1d([1, 1, 1, 1]),
        tf.tensor1d([3, 4, 5, 6]),
        tf.tensor1d([0, 0, 0, 1]),
      ];
      const y = tf.engine().runKernel(SCALE_SHIFT, { x, centre, scale, shift }) as tf.Tensor;
      const values = (await y.data()) as Float32Array;
      tf.dispose([x, centre, scale, shift, y]);
      const wrong = values.findIndex((v, i) => v !== [3, 4, 5, 7][i % 4]);
      expect(wrong).toBe(-1);
    },
  );

  it.skipIf(!dawn.ok).each([
    [[4, 56, 56, 64], 0],
    [[16, 56, 56, 64], 0], // 50,176 rows: 784 chunks of 64
    [[2, 9, 9, 16], 1000], // a mean 400 standard deviations from zero
  ] as [Shape, number][])(
    'sums in float32 about as close to float64 as the WebAssembly kernels’ on %j centred on %i (needs a WebGPU adapter)',
    async (shape, centre) => {
      const c = randomCase(shape, 41, centre);
      const [C, size] = [shape[3], c.x.length];
      const exact = exactBatchNorm(c.x, c.dy, c.gamma, c.beta, C, EPSILON);
      const centreIn = Float32Array.from(exact.mean); // BN_GRAD_SUMS's mean input, as the op passes it
      const about = exactBatchNorm(c.x, c.dy, c.gamma, c.beta, C, EPSILON, centreIn);
      const scales = {
        // A float32 mean is within half an ulp of itself at best: far from zero, |mean| is the scale.
        mean: exact.variance.map((v, i) => Math.max(Math.sqrt(v), Math.abs(exact.mean[i]!))),
        variance: exact.variance,
        sumDy: magnitudes((i) => c.dy[i]!, size, C),
        sumDyCentred: magnitudes((i) => c.dy[i]! * (c.x[i]! - centreIn[i % C]!), size, C),
      };
      const errors: Record<string, Record<keyof typeof scales, number>> = {};
      for (const backend of ['webgpu', 'wasm'] as const) {
        await selectBackend({ choice: backend });
        const [mean, variance] = await sums(BN_MOMENTS, { x: c.x }, shape);
        const [sumDy, sumDyCentred] = await sums(BN_GRAD_SUMS, { dy: c.dy, x: c.x, mean: centreIn }, shape);
        errors[backend] = {
          mean: scaledError(mean!, exact.mean, scales.mean),
          variance: scaledError(variance!, exact.variance, scales.variance),
          sumDy: scaledError(sumDy!, about.sumDy, scales.sumDy),
          sumDyCentred: scaledError(sumDyCentred!, about.sumDyCentred, scales.sumDyCentred),
        };
      }
      console.log(JSON.stringify({ shape, centre, errors }));
      for (const key of Object.keys(scales) as (keyof typeof scales)[]) {
        expect(errors.webgpu![key], key).toBeLessThan(16 * FLOAT32_EPSILON);
        expect(errors.webgpu![key], key).toBeLessThan(10 * errors.wasm![key] + FLOAT32_EPSILON);
      }
    },
  );

  it.skipIf(!dawn.ok)(
    'a forward and backward pass on 4×56×56×64 makes 4 kernels over the activations (6 dispatches, 11 in all) where tfjs’s ops make 15 (needs a WebGPU adapter)',
    async () => {
      await selectBackend({ choice: 'webgpu' });
      const c = randomCase([4, 56, 56, 64], 3);
      const size = c.x.length;
      const measure = async () => {
        const dispatches = await countGpuDispatches(() => train(c));
        const { kernels } = await tf.profile(() => train(c));
        // Identity, Cast (float to float) and customGrad's `forward` share their input: no dispatch.
        const overActivations = kernels.filter(
          (k) =>
            !['Identity', 'Cast', 'forward'].includes(k.name) &&
            k.inputShapes.some((s) => s !== null && s.reduce((p, d) => p * d, 1) === size),
        );
        return { dispatches, overActivations: overActivations.map((k) => k.name) };
      };
      const fused = await measure();
      process.env.RADFED_WEBGPU_BATCH_NORM = '0';
      const ops = await measure();
      console.log(JSON.stringify({ fused, ops }));
      expect(fused.overActivations.sort()).toEqual(
        [BN_GRAD_COEFFICIENTS, BN_MOMENTS_SCALE, CHANNEL_MIX_PACKED, SCALE_SHIFT].sort(),
      );
      expect(ops.overActivations).toHaveLength(15);
      // Two-stage moments and gradient sums: 6 dispatches over the activations. The rest, in both, is
      // arithmetic on C values (batch-norm-op.ts's graph, the running statistics).
      expect(fused.dispatches).toBeLessThan(ops.dispatches);
      // γ/σ, 1/σ and the gradient's coefficients are folded into the sums' finish: what is left beside
      // the 6 is the running statistics' update (models/batch-norm.ts's ops on C values). Unfolded,
      // with tfjs's kernels for that arithmetic (13 dispatches), the pass took 24.
      expect(fused.dispatches).toBe(11);
    },
  );
});
