// Batch normalisation's four kernels (batch-norm-kernels.ts: BN_MOMENTS, BN_GRAD_SUMS, SCALE_SHIFT,
// CHANNEL_MIX) in WGSL, so that kernels/batch-norm-op.ts's graph runs on WebGPU as it does on
// WebAssembly: a forward and backward pass become four or six dispatches over the activations instead
// of tfjs's moments, sub, mul, add, sum… each a dispatch writing a full-size tensor. Three more kernels,
// WebGPU's only (BN_MOMENTS_SCALE, BN_GRAD_COEFFICIENTS, CHANNEL_MIX_PACKED), also fold the
// per-channel arithmetic on C values (γ/σ, the gradient's coefficients) into the sums' finish, where
// tfjs's small kernels would take a dispatch each; batch-norm-op.ts takes them where registered.
//
// The scale-shift and the mix are one dispatch each. The reductions over N·H·W rows per channel are:
//   - one dispatch, one workgroup per channel tile, when each lane has at most 64 rows to add (small
//     maps: ResNet-18's last stage at batch 2, the specs' odd shapes);
//   - two stages otherwise: the first spreads the rows over about 1,024 workgroups (each lane adding at
//     most 64 rows), the second adds their partial sums. One workgroup per channel would leave most of
//     a large GPU idle (64 workgroups for the 400,000 rows of ResNet-18's first layer at 224 px, batch
//     32) and make each lane add thousands of rows in float32; WGSL has no float atomics and no
//     barrier across workgroups with which a single dispatch could finish the sum.
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { WebgpuCommandStream } from './webgpu-command-stream.ts';
import {
  CHANNEL_MIX_PACKED_PROGRAM,
  CHANNEL_MIX_PROGRAM,
  chunkSumsProgram,
  FINISH_INPUTS,
  OUTPUT_ROWS,
  rowSumsProgram,
  SCALE_SHIFT_PROGRAM,
  SUMS_OUTPUTS,
  WORKGROUP,
  wgslSource,
  type SumsKind,
  type WgslProgram,
} from './webgpu-batch-norm-programs.ts';

/** Rows one lane adds serially, at most: float32's error grows with this (docs in the programs). */
const MAX_ROWS_PER_LANE = 64;
/** Workgroups the first stage aims for: enough to fill a large GPU (an H100 has 132 SMs). */
const TARGET_WORKGROUPS = 1024;

export interface ReductionPlan {
  /** Channels per workgroup (a power of two ≤ 64) and lanes of rows (256/tile). */
  tile: number;
  lanes: number;
  /** Workgroups across the channels. */
  tiles: number;
  rowsPerChunk: number;
  /** 1: a single dispatch; more: two stages. */
  chunks: number;
  /** The second stage's channel tile (≤ 8, so that 32 or more lanes add the chunks' sums). */
  finishTile: number;
}

const powerOfTwoAtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** How the rows of a [rows, channels] reduction are split among workgroups. */
export function reductionPlan(rows: number, channels: number): ReductionPlan {
  const tile = Math.min(64, powerOfTwoAtLeast(channels));
  const lanes = WORKGROUP / tile;
  const tiles = Math.ceil(channels / tile);
  const finishTile = Math.min(8, tile);
  if (rows <= lanes * MAX_ROWS_PER_LANE) {
    return { tile, lanes, tiles, rowsPerChunk: rows, chunks: 1, finishTile };
  }
  const wantedChunks = Math.max(1, Math.ceil(TARGET_WORKGROUPS / tiles));
  const rowsPerLane = Math.min(MAX_ROWS_PER_LANE, Math.max(4, Math.ceil(rows / (lanes * wantedChunks))));
  const rowsPerChunk = rowsPerLane * lanes;
  return { tile, lanes, tiles, rowsPerChunk, chunks: Math.ceil(rows / rowsPerChunk), finishTile };
}

type Args<K extends string> = { inputs: Record<K, TensorInfo>; backend: KernelBackend };

const sizeOf = (t: TensorInfo) => t.shape.reduce((p, s) => p * s, 1);
const channelsOf = (t: TensorInfo) => t.shape[t.shape.length - 1]!;

function refuseEmpty(x: TensorInfo): void {
  if (sizeOf(x) === 0) throw new Error('Batch normalisation needs a batch of at least one image.');
}

/**
 * Records `program` over `workgroups` workgroups (the stream spreads them over x and y), writing
 * `outputs` and reading `inputs`, with the uniforms' values in the program's order.
 */
function record(
  stream: WebgpuCommandStream,
  program: WgslProgram,
  outputs: TensorInfo[],
  inputs: TensorInfo[],
  values: number[],
  workgroups: number,
): void {
  const buffers = [...outputs, ...inputs].map((t) => stream.bufferOf(t));
  const uniforms = program.uniforms.map(([, type], i) => ({
    type: type === 'u32' ? ('uint32' as const) : ('float32' as const),
    data: [values[i]!],
  }));
  stream.dispatch(
    stream.pipeline(program.key, wgslSource(program)),
    buffers,
    uniforms,
    workgroups * WORKGROUP,
  );
}

/**
 * The per-channel values of `kind` over every row of `x` (channels last): [C] tensors, as many as the
 * kind writes. `inputs` by name, as the programs bind them; `finishValues` the finish's uniforms (ε).
 */
function channelSums(
  backend: KernelBackend,
  kind: SumsKind,
  x: TensorInfo,
  inputs: Record<string, TensorInfo>,
  finishValues: number[] = [],
) {
  refuseEmpty(x);
  const stream = new WebgpuCommandStream(backend);
  const C = channelsOf(x);
  const rows = sizeOf(x) / C;
  const plan = reductionPlan(rows, C);
  const outputs = SUMS_OUTPUTS[kind].map((name) =>
    stream.makeOutput(OUTPUT_ROWS[name] ? [OUTPUT_ROWS[name], C] : [C]),
  );
  const made = [...outputs];
  const bound = (names: readonly string[]) => names.map((name) => inputs[name]!);
  try {
    if (plan.chunks === 1) {
      const program = rowSumsProgram(kind, plan.tile, true);
      const values = [rows, C, rows, plan.tiles, 1, ...finishValues];
      record(stream, program, outputs, bound(program.inputs), values, plan.tiles);
    } else {
      const partials = stream.makeOutput([plan.chunks, 2, C]);
      made.push(partials);
      const first = rowSumsProgram(kind, plan.tile, false);
      const values = [rows, C, plan.rowsPerChunk, plan.tiles, plan.chunks];
      record(stream, first, [partials], bound(first.inputs), values, plan.tiles * plan.chunks);
      const finishTiles = Math.ceil(C / plan.finishTile);
      const second = chunkSumsProgram(kind, plan.finishTile);
      const secondValues = [rows, C, plan.chunks, finishTiles, ...finishValues];
      record(stream, second, outputs, [partials, ...bound(FINISH_INPUTS[kind])], secondValues, finishTiles);
      // Freed once the queue is submitted (the dispatch marked it as the queue's).
      backend.disposeData(partials.dataId);
    }
  } catch (error) {
    for (const info of made) backend.disposeData(info.dataId);
    throw error;
  }
  return outputs;
}

function perElement(backend: KernelBackend, program: WgslProgram, like: TensorInfo, inputs: TensorInfo[]) {
  refuseEmpty(like);
  const stream = new WebgpuCommandStream(backend);
  const out = stream.makeOutput([...like.shape]);
  try {
    const size = sizeOf(like);
    record(stream, program, [out], inputs, [size, channelsOf(like)], Math.ceil(size / WORKGROUP));
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}

/** BN_MOMENTS: x → [mean, variance] over every row. */
export const momentsOnWebgpu = (({ inputs: { x }, backend }: Args<'x'>) =>
  channelSums(backend, 'moments', x, { x })) as unknown as KernelFunc;

/** BN_GRAD_SUMS: (dy, x, mean) → [Σ dy, Σ dy·(x − mean)]. */
export const gradSumsOnWebgpu = (({ inputs: { dy, x, mean }, backend }: Args<'dy' | 'x' | 'mean'>) =>
  channelSums(backend, 'gradSums', x, { dy, x, mean })) as unknown as KernelFunc;

/** WebGPU only: BN_MOMENTS with the forward pass's per-channel arithmetic folded into its finish. */
export const BN_MOMENTS_SCALE = 'RadfedBatchNormMomentsScale';
/** WebGPU only: BN_GRAD_SUMS with the gradient's per-channel coefficients folded into its finish. */
export const BN_GRAD_COEFFICIENTS = 'RadfedBatchNormGradCoefficients';

/** WebGPU only: CHANNEL_MIX with A, B, D in one [3, C] tensor, as BN_GRAD_COEFFICIENTS gives them. */
export const CHANNEL_MIX_PACKED = 'RadfedChannelMixPacked';

/** BN_MOMENTS_SCALE: (x, γ; ε) → [mean, variance, 1/√(variance + ε), γ/√(variance + ε)]. */
export const momentsScaleOnWebgpu = (({
  inputs: { x, gamma },
  backend,
  attrs,
}: Args<'x' | 'gamma'> & { attrs: { epsilon: number } }) =>
  channelSums(backend, 'momentsScale', x, { x, gamma }, [attrs.epsilon])) as unknown as KernelFunc;

/** BN_GRAD_COEFFICIENTS: (dy, x, mean, γ, 1/σ) → [dβ, dγ, [A, B, D]] with dx = A·dy + B·(x − mean) + D. */
export const gradCoefficientsOnWebgpu = (({
  inputs: { dy, x, mean, gamma, invStd },
  backend,
}: Args<'dy' | 'x' | 'mean' | 'gamma' | 'invStd'>) =>
  channelSums(backend, 'gradCoefficients', x, { dy, x, mean, gamma, invStd })) as unknown as KernelFunc;

/** SCALE_SHIFT: (x − centre)·scale + shift. */
export const scaleShiftOnWebgpu = (({
  inputs: { x, centre, scale, shift },
  backend,
}: Args<'x' | 'centre' | 'scale' | 'shift'>) =>
  perElement(backend, SCALE_SHIFT_PROGRAM, x, [x, centre, scale, shift])) as unknown as KernelFunc;

/** CHANNEL_MIX: u·a + (v − centre)·b + c. */
export const mixOnWebgpu = (({
  inputs: { u, v, a, b, centre, c },
  backend,
}: Args<'u' | 'v' | 'a' | 'b' | 'centre' | 'c'>) =>
  perElement(backend, CHANNEL_MIX_PROGRAM, u, [u, v, a, b, centre, c])) as unknown as KernelFunc;

/** CHANNEL_MIX_PACKED: u·A + (v − centre)·B + D, with [A, B, D] as one [3, C] tensor. */
export const mixPackedOnWebgpu = (({
  inputs: { u, v, coefficients, centre },
  backend,
}: Args<'u' | 'v' | 'coefficients' | 'centre'>) =>
  perElement(backend, CHANNEL_MIX_PACKED_PROGRAM, u, [u, v, coefficients, centre])) as unknown as KernelFunc;
