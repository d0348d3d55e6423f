// The filter and bias gradients of a 3×3, stride-1, 'same' convolution on WebAssembly by Winograd's
// F(2×2, 3×3) (winograd-filter-grad-code.ts): 2.25× fewer multiplies than the grid or im2col product
// (filter-grad-grid.ts, filter-grad-im2col.ts). Each thread sums its share of the tiles into its own dU;
// the sums are added, then turned into dW once.
// Its rounding error is bounded by the largest gradient, not by each value: a value the direct sum
// makes exactly 0 (a pair of channels that never overlap after a max-pool: a fifth of the reference
// CNN's last filter) comes out at up to ~1.5e-7 of the largest. Adam scales each weight's step by that
// weight's own gradient, so it turned that noise into steps in random directions, and the demo's
// federation ended worse on three seeds of three. Values below ROUNDING_FLOOR of the largest are set
// to the 0 the direct sum gives (a few dozen of ~74,000 that were not exactly 0 there are below it too);
// with that the three seeds ended as well as without Winograd (docs/benchmarks.md, "Winograd's
// F(2×2, 3×3)"). RADFED_WASM_WINOGRAD_FILTER_GRAD=0 keeps the direct product.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { FilterGradAttrs } from './conv2d-backprop-filter.ts';
import { forwardGeometry } from './conv-geometry.ts';
import type { KernelScope } from './kernel-scope.ts';
import {
  ADD_VECTORS,
  WINOGRAD_FILTER_FINISH,
  WINOGRAD_FILTER_GRAD,
  winogradFilterGradFunctions,
} from './winograd-filter-grad-code.ts';
import { paddedInput, winogradApplies, winogradPlan } from './winograd.ts';

/**
 * Below this fraction of the largest value, a filter gradient's value is within Winograd's rounding of
 * 0 (measured up to 1.5e-7 on the reference CNN at 16 and 64 px, batches 4, 8 and 32).
 */
export const ROUNDING_FLOOR = 1e-6;

/** Sets the values below ROUNDING_FLOOR of the largest to 0. */
export function flushRoundingNoise(values: Float32Array): void {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]!));
  const floor = largest * ROUNDING_FLOOR;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]!) < floor) values[i] = 0;
}

/** [dW] or [dW, dB], or null where Winograd's gradient does not apply here. */
export function winogradFilterGrad(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: FilterGradAttrs,
  withBias: boolean,
): TensorInfo[] | null {
  const info = forwardGeometry(x.shape, attrs.filterShape, attrs);
  const { top, left, bottom, right } = info.padInfo;
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return null;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (top !== 1 || left !== 1 || bottom !== 1 || right !== 1) return null;
  if (process.env.RADFED_WASM_WINOGRAD_FILTER_GRAD === '0') return null;
  if (!winogradApplies(x.shape, attrs.filterShape)) return null;
  const C = x.shape[3]!;
  const F = attrs.filterShape[3];
  const plan = winogradPlan(
    scope,
    x.shape,
    F,
    { bias: withBias, relu: false },
    WINOGRAD_FILTER_GRAD,
    winogradFilterGradFunctions,
  );
  if (!plan) return null;
  const { threads, simd, module, ranges, scratch } = plan;

  // Every allocation first: a view or an address taken before one may move.
  const padded = paddedInput(scope, x);
  const sumFloats = 16 * C * F + F; // dU, then Σ dy
  const sums = scope.output([ranges.length * sumFloats]); // zeroed
  const blocks = scope.output([plan.scratchFloats], false);
  const dW = scope.output([...attrs.filterShape], false);
  const dB = withBias ? scope.output([F], false) : undefined;
  sums.values();
  const at = (t: TensorInfo) => scope.read(t).byteOffset;
  const [xp, du, v, dw] = [padded.fill(simd), at(sums.info()), at(blocks.info()), at(dW.info())];

  const args = ranges.map(([from, to], i) => [
    xp,
    at(dy),
    du + i * sumFloats * 4,
    ...scratch(v, i),
    from,
    to,
  ]);
  threads.call(module, WINOGRAD_FILTER_GRAD, args);
  for (let i = 1; i < ranges.length; i++)
    threads.call(module, ADD_VECTORS, [[du, du + i * sumFloats * 4, sumFloats * 4]]);
  threads.call(module, WINOGRAD_FILTER_FINISH, [[du, dw]]);
  flushRoundingNoise(dW.values());
  if (!dB) return [dW.info()];
  dB.values().set(sums.values().subarray(16 * C * F, sumFloats));
  return [dW.info(), dB.info()];
}
