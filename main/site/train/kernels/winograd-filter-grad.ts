// The filter and bias gradients of a 3×3, stride-1, 'same' convolution on WebAssembly by Winograd's
// F(2×2, 3×3) (winograd-filter-grad-code.ts): 2.25× fewer multiplies than the grid or im2col product
// (filter-grad-grid.ts, filter-grad-im2col.ts). Each thread sums its share of the tiles into its own dU;
// the sums are added, then turned into dW once.
// Off unless RADFED_WASM_WINOGRAD_FILTER_GRAD=1: its error is bounded by ~1e-7 of the largest gradient,
// not of each value, and Adam, which scales every weight's step by that weight's own gradient, turns
// the error on small and zero gradients into steps in random directions. The demo's federation ended
// worse with it on three seeds of three (last model's test AUC 0.906, 0.886, 0.843 against 0.959, 0.942,
// 0.885 with Winograd for the forward pass and the input gradient only: docs/benchmarks.md, "Winograd's
// F(2×2, 3×3)"), so the default keeps the direct product, exact in each value to float32 rounding.
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
  if (process.env.RADFED_WASM_WINOGRAD_FILTER_GRAD !== '1') return null;
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
  if (!dB) return [dW.info()];
  dB.values().set(sums.values().subarray(16 * C * F, sumFloats));
  return [dW.info(), dB.info()];
}
