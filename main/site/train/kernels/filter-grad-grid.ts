// The filter (and bias) gradient of a stride-1 convolution on WebAssembly without im2col. The input's
// channel planes and the output gradient are laid out on one grid of pixels with zero gaps between
// rows and between images, wide enough for the padding: an output pixel at grid position q reads tap
// (kh, kw) of its window at q + (kh − top)·Wp + (kw − left), zeros where the forward convolution read
// padding. So the row of the transposed im2col matrix for tap (kh, kw) and channel c is channel c's
// plane itself, shifted: dW[(kh,kw,c), f] = Σ_q plane_c[q + shift(kh,kw)] · dyGrid[q, f], one product
// whose A rows are read in place through a table of addresses (simd-gemm.ts, `rowTable`). Where im2col
// wrote and read back 9× the input (19 MB for the reference CNN's second layer at S = 64), this writes
// the input once and dy once, and the taps' overlapping rows are read from the cache.
// The cost: the product also runs over the gaps' positions (dy is zero there): 3% more at 64×64, 13% at
// 16×16, 27% at 8×8 with 3×3 'same'; past a fifth more, im2col is as fast or faster, and stays. A bias
// row of ones makes the product's last row Σ dy, the bias gradient.
// Where dy has more channels than im2col would have rows (a first layer of one channel) im2col stays too.
// RADFED_WASM_GRID_FILTER_GRAD=0 keeps im2col (filter-grad-im2col.ts).
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { FilterGradAttrs } from './conv2d-backprop-filter.ts';
import { forwardGeometry } from './conv-geometry.ts';
import type { KernelScope } from './kernel-scope.ts';
import { ownGemmFor } from './own-gemm.ts';
import { backendMemory, simdKernelsFor } from './simd-kernels.ts';

/**
 * The most grid positions per output pixel worth multiplying over: at 8×8 (1.27) im2col took 5% less
 * CPU time, at 16×16 (1.13) 13% more (docs/benchmarks.md, "The CPU step: …").
 */
export const GRID_MAX_OVERHEAD = 1.2;

/** Where the grid puts each pixel: rows Wp floats apart, images IP apart, after a margin of L. */
export interface FilterGradGrid {
  /** Row pitch: the input's width and the gap. */
  rowPitch: number;
  /** Image pitch: (height + gap rows) · rowPitch. */
  imagePitch: number;
  /** Zeros before the first image, for the taps above and left of it. */
  margin: number;
  /** Products' k: grid positions up to the last output pixel's. */
  positions: number;
}

/** The grid for a convolution's gradient, or null where it does not apply (strides, dilations). */
export function filterGradGrid(info: ReturnType<typeof forwardGeometry>): FilterGradGrid | null {
  const { batchSize: N, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, padInfo } = info;
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return null;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (OH <= 0 || OW <= 0) return null;
  const { top, left } = padInfo;
  // Gaps as wide as the farthest read past either edge: reads left of column 0 land in the previous
  // row's gap, reads past the last column in this row's.
  const gapColumns = Math.max(0, left, OW + FW - 1 - left - W);
  const gapRows = Math.max(0, top, OH + FH - 1 - top - H);
  const rowPitch = W + gapColumns;
  if (OW > rowPitch || OH > H + gapRows) return null;
  const imagePitch = (H + gapRows) * rowPitch;
  return {
    rowPitch,
    imagePitch,
    margin: top * rowPitch + left,
    positions: (N - 1) * imagePitch + (OH - 1) * rowPitch + OW,
  };
}

/**
 * [dW] or [dW, dB] by the grid, or null where it does not apply (then im2col): strides or dilations
 * other than 1, output channels not in fours, no SIMD product, or switched off.
 */
export function filterGradOnGrid(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: FilterGradAttrs,
  withBias: boolean,
): TensorInfo[] | null {
  if (process.env.RADFED_WASM_GRID_FILTER_GRAD === '0') return null;
  const info = forwardGeometry(x.shape, attrs.filterShape, attrs);
  const grid = filterGradGrid(info);
  const gemm = info.outChannels % 4 === 0 ? ownGemmFor(scope.backend) : null;
  const simd = simdKernelsFor(backendMemory(scope.backend));
  if (!grid || !gemm || !simd) return null;
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  if (grid.positions > GRID_MAX_OVERHEAD * N * OH * OW) return null;
  // The grid copies dy (F values a pixel) to save writing im2col (FH·FW·C a pixel): where dy is the
  // wider, as in a first layer of one channel, im2col writes less (5% less CPU time at 64×64×1→16).
  if (info.filterHeight * info.filterWidth * C <= info.outChannels) return null;
  const { filterHeight: FH, filterWidth: FW, outChannels: F } = info;
  const { rowPitch: Wp, imagePitch: IP, margin: L, positions: K } = grid;
  const planeFloats = L + N * IP;
  const filterRows = FH * FW * C;
  const rows = filterRows + (withBias ? 1 : 0);

  // Channels first, so that each channel's rows are runs of neighbouring values.
  const channelsFirst = C === 1 ? x : scope.transpose(x, [3, 0, 1, 2]);
  const planes = scope.output([C + (withBias ? 1 : 0), planeFloats], false);
  const dyGrid = scope.output([N * IP, F], false);
  const table = scope.output([rows], false);
  const sum = scope.output([rows, F]);
  sum.values(); // zeroed now; every allocation is made: the addresses below stay valid
  const at = (t: TensorInfo) => scope.read(t).byteOffset;
  const [planesAt, dyGridAt, tableAt] = [at(planes.info()), at(dyGrid.info()), at(table.info())];

  const planeValues = planes.values();
  const source = at(channelsFirst);
  for (let c = 0; c < C; c++) {
    planeValues.fill(0, c * planeFloats, c * planeFloats + L);
    const plane = planesAt + (c * planeFloats + L) * 4;
    simd.gappedRows(plane, source + c * N * H * W * 4, N, H, W * 4, Wp * 4, IP * 4);
  }
  if (withBias) planeValues.fill(1, C * planeFloats, (C + 1) * planeFloats);
  simd.gappedRows(dyGridAt, at(dy), N, OH, OW * F * 4, Wp * F * 4, IP * F * 4);

  // Row (kh, kw, c) of A: channel c's plane shifted by the tap, as dW is laid out [kh, kw, c, f].
  const addresses = new Uint32Array(planeValues.buffer, tableAt, rows);
  const { top, left } = info.padInfo;
  let row = 0;
  for (let kh = 0; kh < FH; kh++) {
    for (let kw = 0; kw < FW; kw++) {
      const shift = (kh - top) * Wp + (kw - left);
      for (let c = 0; c < C; c++) addresses[row++] = planesAt + (c * planeFloats + L + shift) * 4;
    }
  }
  if (withBias) addresses[row] = planesAt + (C * planeFloats + L) * 4;

  gemm.multiplyAdd({
    a: tableAt,
    aRowBytes: 0,
    rowTable: true,
    b: dyGridAt,
    c: at(sum.info()),
    m: rows,
    k: K,
    n: F,
  });
  const product = sum.info();
  const dW = scope.reshape(scope.slice(product, [0, 0], [filterRows, F]), [...attrs.filterShape]);
  if (!withBias) return [dW];
  return [dW, scope.reshape(scope.slice(product, [filterRows, 0], [1, F]), [F])];
}
