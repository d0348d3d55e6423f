// Batch normalisation for training on WebAssembly in four passes over the activations instead of
// tfjs's dozen or so (models/batch-norm.ts composes moments, sub, mul, add and their gradients, each
// writing a full-size tensor: on ResNet-18 at 224 px those took about a sixth of a training step):
//   forward:  one pass for the per-channel moments, one for y = (x − μ)·(γ/σ) + β;
//   backward: one pass for Σ dy and Σ dy·(x − μ), one for dx = dy·A + (x − μ)·B + D, where
//             A = γ/σ, B = −γ/σ³·mean(dy·(x − μ)), D = −A·mean(dy) (the same formula as
//             models/batch-norm.ts, dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)), expanded per channel).
// x̂ is never stored: the backward pass recomputes it from x, which the convolution before has saved
// anyway. Sums run in float32 over blocks of rows and in float64 across blocks; the variance is taken
// about the first row's values, so a mean far from zero costs no precision.
// Only channels in fours (every ResNet and DenseNet width); RADFED_WASM_BATCH_NORM=0 keeps tfjs's ops.
// On WebGPU the same four kernels are WGSL (webgpu-batch-norm.ts), for any channel count;
// RADFED_WEBGPU_BATCH_NORM=0 keeps tfjs's ops there.
import {
  getBackend,
  getKernel,
  registerKernel,
  type KernelBackend,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { channelSimdFor, type ChannelSimd } from './channel-simd.ts';
import { KernelScope } from './kernel-scope.ts';
import { backendMemory } from './simd-kernels.ts';
import {
  BN_GRAD_COEFFICIENTS,
  BN_MOMENTS_SCALE,
  CHANNEL_MIX_PACKED,
  gradCoefficientsOnWebgpu,
  gradSumsOnWebgpu,
  mixOnWebgpu,
  mixPackedOnWebgpu,
  momentsOnWebgpu,
  momentsScaleOnWebgpu,
  scaleShiftOnWebgpu,
} from './webgpu-batch-norm.ts';

export const BN_MOMENTS = 'RadfedBatchNormMoments';
export const BN_GRAD_SUMS = 'RadfedBatchNormGradSums';
export const SCALE_SHIFT = 'RadfedChannelScaleShift';
export const CHANNEL_MIX = 'RadfedChannelMix';

/** Rows summed in float32 before the sum moves to float64. */
const BLOCK_ROWS = 128;

type Args<K extends string> = { inputs: Record<K, TensorInfo>; backend: KernelBackend };

function passes(backend: KernelBackend): ChannelSimd {
  const simd = channelSimdFor(backendMemory(backend));
  if (!simd) throw new Error('The WebAssembly channel passes are not available on this backend.');
  return simd;
}

/**
 * Per channel, Σ (u − shiftU) and Σ (u − shiftU)·(v − shiftV) over every row, in float64 across
 * blocks; shiftU and shiftV are C values each (copied into the module's memory here).
 */
function channelSums(
  scope: KernelScope,
  u: TensorInfo,
  v: TensorInfo,
  shiftU: Float32Array,
  shiftV: Float32Array,
): [Float64Array, Float64Array] {
  const C = u.shape[u.shape.length - 1]!;
  const rows = u.shape.reduce((p, s) => p * s, 1) / C;
  const scratch = scope.output([4, C], false);
  const work = scratch.values();
  work.set(shiftU, 0);
  work.set(shiftV, C);
  const simd = passes(scope.backend);
  const [uAt, vAt] = [scope.read(u).byteOffset, scope.read(v).byteOffset];
  const base = work.byteOffset;
  const [a, b] = [new Float64Array(C), new Float64Array(C)];
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const count = Math.min(BLOCK_ROWS, rows - r0);
    work.fill(0, 2 * C, 4 * C);
    const offset = r0 * C * 4;
    simd.channelSums(
      uAt + offset,
      vAt + offset,
      count,
      C * 4,
      base,
      base + C * 4,
      base + 8 * C,
      base + 12 * C,
    );
    for (let c = 0; c < C; c++) {
      a[c]! += work[2 * C + c]!;
      b[c]! += work[3 * C + c]!;
    }
  }
  return [a, b];
}

const moments = (({ inputs: { x }, backend }: Args<'x'>) => {
  const scope = new KernelScope(backend, 'wasm');
  const C = x.shape[x.shape.length - 1]!;
  const rows = x.shape.reduce((p, s) => p * s, 1) / C;
  const shift = scope.read(x).slice(0, C); // the first row: near the mean, so no cancellation
  const [sum, sumSquares] = channelSums(scope, x, x, shift, shift);
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const offset = sum[c]! / rows;
    mean[c] = shift[c]! + offset;
    variance[c] = Math.max(0, sumSquares[c]! / rows - offset * offset);
  }
  const first = scope.keep(scope.fromValues([C], mean));
  return [first, scope.finish(scope.fromValues([C], variance))]; // the scratch freed
}) as unknown as KernelFunc;

const gradSums = (({ inputs: { dy, x, mean }, backend }: Args<'dy' | 'x' | 'mean'>) => {
  const scope = new KernelScope(backend, 'wasm');
  const C = x.shape[x.shape.length - 1]!;
  const [sumDy, sumDyCentred] = channelSums(scope, dy, x, new Float32Array(C), scope.read(mean).slice());
  const first = scope.keep(scope.fromValues([C], Float32Array.from(sumDy)));
  return [first, scope.finish(scope.fromValues([C], Float32Array.from(sumDyCentred)))];
}) as unknown as KernelFunc;

const rowsOf = (x: TensorInfo) => x.shape.reduce((p, s) => p * s, 1) / x.shape[x.shape.length - 1]!;

const scaleShift = (({
  inputs: { x, centre, scale, shift },
  backend,
}: Args<'x' | 'centre' | 'scale' | 'shift'>) => {
  const scope = new KernelScope(backend, 'wasm');
  const out = scope.output([...x.shape], false);
  const at = (t: TensorInfo) => scope.read(t).byteOffset;
  const C = x.shape[x.shape.length - 1]!;
  passes(backend).scaleShift(at(out.info()), at(x), rowsOf(x), C * 4, at(centre), at(scale), at(shift));
  return scope.finish(out.info());
}) as unknown as KernelFunc;

const mix = (({
  inputs: { u, v, a, b, centre, c },
  backend,
}: Args<'u' | 'v' | 'a' | 'b' | 'centre' | 'c'>) => {
  const scope = new KernelScope(backend, 'wasm');
  const out = scope.output([...u.shape], false);
  const at = (t: TensorInfo) => scope.read(t).byteOffset;
  const C = u.shape[u.shape.length - 1]!;
  passes(backend).mix(at(out.info()), at(u), at(v), rowsOf(u), C * 4, at(a), at(b), at(centre), at(c));
  return scope.finish(out.info());
}) as unknown as KernelFunc;

/** Registers the four kernels on WebAssembly or WebGPU (and there the three folded ones). Safe to call again. */
export function registerBatchNormKernels(backendName: string): void {
  const kernels: Record<string, readonly [string, KernelFunc][]> = {
    wasm: [
      [BN_MOMENTS, moments],
      [BN_GRAD_SUMS, gradSums],
      [SCALE_SHIFT, scaleShift],
      [CHANNEL_MIX, mix],
    ],
    webgpu: [
      [BN_MOMENTS, momentsOnWebgpu],
      [BN_GRAD_SUMS, gradSumsOnWebgpu],
      [SCALE_SHIFT, scaleShiftOnWebgpu],
      [CHANNEL_MIX, mixOnWebgpu],
      [BN_MOMENTS_SCALE, momentsScaleOnWebgpu],
      [BN_GRAD_COEFFICIENTS, gradCoefficientsOnWebgpu],
      [CHANNEL_MIX_PACKED, mixPackedOnWebgpu],
    ],
  };
  for (const [kernelName, kernelFunc] of kernels[backendName] ?? []) {
    if (!getKernel(kernelName, backendName)) registerKernel({ kernelName, backendName, kernelFunc });
  }
}

/** Whether batch normalisation of `channels` channels can take these kernels now. */
export function batchNormKernelsFor(channels: number): boolean {
  const backendName = getBackend();
  if (backendName === 'webgpu') {
    return process.env.RADFED_WEBGPU_BATCH_NORM !== '0' && Boolean(getKernel(BN_MOMENTS, backendName));
  }
  if (process.env.RADFED_WASM_BATCH_NORM === '0' || channels % 4 !== 0) return false;
  return Boolean(getKernel(BN_MOMENTS, backendName));
}
