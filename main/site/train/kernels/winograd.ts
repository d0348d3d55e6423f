// 3×3, stride-1, 'same' convolutions on WebAssembly by Winograd's F(2×2, 3×3) (winograd-code.ts):
// 2.25× fewer multiplies than XNNPACK's direct convolution, which already runs near the 128-bit SIMD
// ceiling, so fewer multiplies are the one way to a faster step in WebAssembly (docs/benchmarks.md).
// Used for the forward convolution (with bias and ReLU: conv-bias-relu.ts; without: ResNet's) and for
// the input gradient (the output gradient convolved with the filter turned by 180° and its channels
// swapped: conv2d-backprop-input.ts). The tiles are shared between the backend's threads
// (threaded-gemm.ts's workers), each with its own block scratch.
// Where it does not apply (other filters, strides, odd sizes, channels not in fours or eights, no
// SIMD), callers keep XNNPACK. RADFED_WASM_WINOGRAD=0 turns it off.
// Precision: the transforms add and halve, so a result differs from the direct sum by rounding only
// (within ~1e-6 relative of the output's scale; winograd.spec.ts).
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelScope } from './kernel-scope.ts';
import { ownGemmFor } from './own-gemm.ts';
import { defaultTiling, type GemmTiling } from './simd-gemm.ts';
import { backendMemory, simdKernelsFor, type SimdKernels, type WasmMemory } from './simd-kernels.ts';
import {
  WINOGRAD,
  WINOGRAD_FILTER,
  WINOGRAD_FILTER_TURNED,
  winogradFunctions,
  type WinogradShape,
} from './winograd-code.ts';
import { assembleModule, type WasmFunction } from './wasm-bytecode.ts';

/**
 * Bytes of a block's scratch (V and M, 16 planes of tiles × channels each) per thread: small enough that
 * they and the transformed filter stay in a 1 MiB level-2 cache.
 */
const BLOCK_SCRATCH_BYTES = 256 * 1024;
/**
 * The most channel pairs (in × out) for which the forward pass goes this way: at 512 × 512 the
 * transformed filter (16 MB) no longer stays in the cache across a block of a few tiles, and XNNPACK's
 * convolution took 55 ms where ours took 69 (ResNet-18's last stage at 256 px, batch 8, one thread;
 * docs/benchmarks.md). Its input gradient (141 ms there) stays slower than ours (60), so the turned
 * filter has no such limit.
 */
const MAX_FORWARD_CHANNEL_PAIRS = 256 * 256;
/** Tiles per block: a multiple of the product's rows, at least one tile of them, at most this. */
const MAX_BLOCK_TILES = 240;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const modules = new WeakMap<WasmMemory, Map<string, { key: string; compiled: object } | null>>();

export function blockTiles(inChannels: number, outChannels: number, rows = defaultTiling().rows): number {
  const fit = Math.floor(BLOCK_SCRATCH_BYTES / (16 * 4 * (inChannels + outChannels)));
  return Math.max(rows, Math.min(MAX_BLOCK_TILES, Math.floor(fit / rows) * rows));
}

/**
 * The module `build` makes for `shape`, compiled once per memory, kind and shape; null where it does
 * not compile (no SIMD).
 */
export function moduleFor(
  memory: WasmMemory,
  kind: string,
  shape: WinogradShape,
  build: (shape: WinogradShape, tiling: GemmTiling) => WasmFunction[],
) {
  let known = modules.get(memory);
  if (!known) modules.set(memory, (known = new Map()));
  const key = `${kind}/${Object.values(shape).join('/')}`;
  let module = known.get(key);
  if (module === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const bytes = assembleModule(build(shape, defaultTiling()), shared);
      module = { key, compiled: new wasmApi.Module(bytes) };
    } catch {
      module = null;
    }
    known.set(key, module);
  }
  return module;
}

/**
 * What a Winograd kernel of `kind` needs for x [N, H, W, C] and F output channels: the wasm backend's
 * threads and SIMD copies, the shape, its compiled module and the tiles of each share; or null where
 * any is missing (no SIMD, a single-threaded build without our product).
 */
export function winogradPlan(
  scope: KernelScope,
  xShape: readonly number[],
  outChannels: number,
  { bias, relu }: { bias: boolean; relu: boolean },
  kind: string,
  build: (shape: WinogradShape, tiling: GemmTiling) => WasmFunction[],
) {
  const memory = backendMemory(scope.backend);
  const threads = ownGemmFor(scope.backend);
  const simd = simdKernelsFor(memory);
  if (!memory || !threads || !simd) return null;
  const [N, H, W, C] = xShape as [number, number, number, number];
  const shape: WinogradShape = {
    height: H,
    width: W,
    inChannels: C,
    outChannels,
    blockTiles: blockTiles(C, outChannels),
    bias,
    relu,
  };
  const module = moduleFor(memory, kind, shape, build);
  if (!module) return null;
  const ranges = tileRanges((N * H * W) / 4, shape.blockTiles, threads.configured);
  // Each share's block scratch: V (16 × tiles × C), then the block's other side (16 × tiles × F).
  const shareFloats = 16 * shape.blockTiles * (C + outChannels);
  const scratch = (at: number, share: number) => {
    const v = at + share * shareFloats * 4;
    return [v, v + 16 * shape.blockTiles * C * 4];
  };
  return { threads, simd, shape, module, ranges, scratchFloats: ranges.length * shareFloats, scratch };
}

/**
 * [from, to) tiles per share: as many shares as have a block of tiles each, at most `threads` (the
 * threads configured, not those up: the filter gradient's sums then add in the same order whether or
 * not a worker has started, and a step gives the same result every time).
 */
export function tileRanges(tiles: number, blockTiles: number, threads: number): [number, number][] {
  const shares = Math.max(1, Math.min(threads, Math.ceil(tiles / blockTiles)));
  const per = Math.ceil(tiles / shares);
  return Array.from({ length: shares }, (_, i) => [i * per, Math.min(tiles, (i + 1) * per)]);
}

/** Whether a convolution of x [N, H, W, C] by a [3, 3, C, F] filter can go this way. */
export function winogradApplies(xShape: readonly number[], filterShape: readonly number[]): boolean {
  if (process.env.RADFED_WASM_WINOGRAD === '0') return false;
  const [, H, W, C] = xShape as [number, number, number, number];
  const [FH, FW, FC, F] = filterShape as [number, number, number, number];
  return FH === 3 && FW === 3 && FC === C && H % 2 === 0 && W % 2 === 0 && C % 4 === 0 && F % 8 === 0;
}

/**
 * x [N, H, W, C] with a pixel of zeros on every side, as the transforms read it: allocated now, filled
 * by `fill` (after every other allocation), which returns its address.
 */
export function paddedInput(scope: KernelScope, x: TensorInfo) {
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const margin = (W + 3) * C; // the padded input's first row and the left pad of its second
  const padded = scope.output([margin + N * (H + 2) * (W + 2) * C], false);
  return {
    fill(simd: SimdKernels): number {
      padded.values().fill(0, 0, margin);
      const xp = scope.read(padded.info()).byteOffset;
      const rowBytes = W * C * 4;
      const source = scope.read(x).byteOffset;
      simd.gappedRows(xp + margin * 4, source, N, H, rowBytes, (W + 2) * C * 4, (H + 2) * (W + 2) * C * 4);
      return xp;
    },
  };
}

export interface WinogradOptions {
  bias?: TensorInfo;
  relu: boolean;
  /** The filter turned by 180° (the input gradient's convolution, its channels already swapped). */
  flip: boolean;
}

/**
 * conv2d(x, filter) (stride 1, padding 1, [+ bias], [ReLU]) for x [N, H, W, C] and filter [3, 3, C, F],
 * or null where it does not apply here: the caller then runs XNNPACK's.
 */
export function winogradConvolution(
  scope: KernelScope,
  x: TensorInfo,
  filter: TensorInfo,
  options: WinogradOptions,
): TensorInfo | null {
  if (!winogradApplies(x.shape, filter.shape)) return null;
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const F = filter.shape[3]!;
  if (!options.flip && C * F > MAX_FORWARD_CHANNEL_PAIRS) return null;
  const plan = winogradPlan(
    scope,
    x.shape,
    F,
    { bias: Boolean(options.bias), relu: options.relu },
    WINOGRAD,
    winogradFunctions,
  );
  if (!plan) return null;
  const { threads, simd, module, ranges, scratch } = plan;

  // Every allocation first: a view or an address taken before one may move.
  const padded = paddedInput(scope, x);
  const transformed = scope.output([16 * C * F], false);
  const blocks = scope.output([plan.scratchFloats], false);
  const y = scope.output([N, H, W, F], false);
  const at = (t: TensorInfo) => scope.read(t).byteOffset;
  const [xp, u, v, out] = [padded.fill(simd), at(transformed.info()), at(blocks.info()), at(y.info())];
  const biasAt = options.bias ? at(options.bias) : 0;

  threads.call(module, options.flip ? WINOGRAD_FILTER_TURNED : WINOGRAD_FILTER, [[at(filter), u]]);
  const args = ranges.map(([from, to], i) => [xp, u, biasAt, out, ...scratch(v, i), from, to]);
  threads.call(module, WINOGRAD, args);
  return y.info();
}
