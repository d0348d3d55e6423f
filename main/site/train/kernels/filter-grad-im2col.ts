// Conv2DBackpropFilter for WebAssembly as one matrix product per chunk of images: the transposed
// im2col matrix A[(kh,kw,c), (n,oy,ox)] = x[n, oy·sh+kh·dh−top, ox·sw+kw·dw−left, c] is written in
// one pass by JavaScript into the module's memory, then XNNPACK multiplies it by the output gradient
// dy[(n,oy,ox), f] (a plain, untransposed product: the fast path of the wasm BatchMatMul).
// Chunks of images bound the size of A (and so the memory) whatever the batch and image size.
// Each row of A is written by WebAssembly (simd-kernels.ts: with a stride-1 width bulk copies of the
// image rows' runs, about 4× faster than the JavaScript loop; with strides, value by value), the
// JavaScript loop only without SIMD.
// The product is our SIMD product where own-gemm.ts picks it (XNNPACK's packs all of dy every call).
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { FilterGradAttrs } from './conv2d-backprop-filter.ts';
import { zeros, type FilterGradMethod } from './conv2d-backprop-filter.ts';
import type { KernelScope } from './kernel-scope.ts';
import { forwardGeometry } from './conv-geometry.ts';
import { backendMemory, simdKernelsFor, type SimdKernels } from './simd-kernels.ts';
import { ownGemmFor } from './own-gemm.ts';
import { filterGradOnGrid } from './filter-grad-grid.ts';
import { winogradFilterGrad } from './winograd-filter-grad.ts';

/** Largest im2col chunk, in floats (32 MB); tests lower it to exercise chunking. */
export const im2colLimits = { chunkFloats: 8 * 1024 * 1024 };

export const filterGradByIm2col: FilterGradMethod = (scope, x, dy, attrs) =>
  im2colProduct(scope, x, dy, attrs, false)[0]!;

/**
 * [dW, dB] in one product: a last row of ones in A makes the last row of the product Σ dy, the bias
 * gradient.
 */
export function filterAndBiasGradByIm2col(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: FilterGradAttrs,
): [TensorInfo, TensorInfo] {
  return im2colProduct(scope, x, dy, attrs, true) as [TensorInfo, TensorInfo];
}

function im2colProduct(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: FilterGradAttrs,
  withBias: boolean,
): TensorInfo[] {
  const info = forwardGeometry(x.shape, attrs.filterShape, attrs);
  const outChannels = info.outChannels;
  if (info.outHeight === 0 || info.outWidth === 0) {
    return [zeros(scope, attrs.filterShape), zeros(scope, [outChannels])];
  }
  // 3×3, stride 1, 'same': Winograd's, 2.25× fewer multiplies (winograd-filter-grad.ts).
  const winograd = winogradFilterGrad(scope, x, dy, attrs, withBias);
  if (winograd) return winograd;
  // Stride 1: no im2col at all, the input's planes read in place (filter-grad-grid.ts).
  const onGrid = filterGradOnGrid(scope, x, dy, attrs, withBias);
  if (onGrid) return onGrid;
  const { batchSize, outHeight, outWidth } = info;
  const filterRows = info.filterHeight * info.filterWidth * info.inChannels;
  const rows = filterRows + (withBias ? 1 : 0);
  const perImage = outHeight * outWidth;
  const imagesPerChunk = Math.max(
    1,
    Math.min(batchSize, Math.floor(im2colLimits.chunkFloats / (rows * perImage))),
  );
  // Channels first, so that each row of A is copied from runs of neighbouring values.
  const channelsFirst = info.inChannels === 1 ? x : scope.transpose(x, [3, 0, 1, 2]);
  // Our SIMD product adds each chunk's product into one output (its rows of B must be whole vectors).
  const gemm = outChannels % 4 === 0 ? ownGemmFor(scope.backend) : null;
  const sum = gemm ? scope.output([rows, outChannels]) : undefined;
  sum?.values(); // zeroed now, before any allocation below can move the heap
  let total: TensorInfo | undefined = sum?.info();
  for (let n0 = 0; n0 < batchSize; n0 += imagesPerChunk) {
    const images = Math.min(imagesPerChunk, batchSize - n0);
    const columns = images * perImage;
    const a = scope.output([1, rows, columns], false);
    const values = a.values();
    const source = scope.read(channelsFirst);
    const simd = simdKernelsFor(backendMemory(scope.backend));
    if (simd) writeIm2colRowsBySimd(simd, values, source, info, n0, images);
    else writeTransposedIm2col(values, source, info, n0, images);
    if (withBias) values.fill(1, filterRows * columns, rows * columns);
    const gradient =
      images === batchSize ? dy : scope.slice(dy, [n0, 0, 0, 0], [images, outHeight, outWidth, outChannels]);
    if (gemm) {
      // Addresses read now: views taken before the slice above may be of a heap since grown.
      const address = (t: TensorInfo) => scope.read(t).byteOffset;
      const [aAt, bAt, cAt] = [address(a.info()), address(gradient), address(total!)];
      gemm.multiplyAdd({
        a: aAt,
        aRowBytes: columns * 4,
        b: bAt,
        c: cAt,
        m: rows,
        k: columns,
        n: outChannels,
      });
      continue;
    }
    const b = scope.reshape(gradient, [1, columns, outChannels]);
    const product = scope.run('BatchMatMul', { a: a.info(), b }, { transposeA: false, transposeB: false });
    total = total ? scope.run('Add', { a: total, b: product }) : product;
  }
  const product = scope.reshape(total!, [rows, outChannels]);
  const dW = scope.reshape(scope.slice(product, [0, 0], [filterRows, outChannels]), [...attrs.filterShape]);
  if (!withBias) return [dW];
  const dB = scope.reshape(scope.slice(product, [filterRows, 0], [1, outChannels]), [outChannels]);
  return [dW, dB];
}

/** As writeTransposedIm2col, each row by WebAssembly; `out` and `x` are views of its memory. */
function writeIm2colRowsBySimd(
  simd: SimdKernels,
  out: Float32Array,
  x: Float32Array,
  info: ReturnType<typeof forwardGeometry>,
  firstImage: number,
  images: number,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const rowBytes = images * OH * OW * 4;
  // Stride 1: each run of an image row in one bulk copy; strides: value by value, still in WebAssembly.
  const writeRow = sw === 1 ? simd.im2colRow : simd.im2colRowStrided;
  let row = 0;
  for (let kh = 0; kh < info.filterHeight; kh++) {
    for (let kw = 0; kw < info.filterWidth; kw++) {
      // The output columns whose input column lies inside the image, for this kernel column.
      const offset = kw * dw - left;
      const oxStart = Math.min(OW, Math.max(0, Math.ceil(-offset / sw)));
      const oxEnd = Math.max(oxStart, Math.min(OW, Math.floor((W - 1 - offset) / sw) + 1));
      for (let c = 0; c < C; c++, row++) {
        const plane = x.byteOffset + (c * N + firstImage) * H * W * 4;
        const args = [out.byteOffset + row * rowBytes, plane, images, OH, OW, H, W, kh * dh - top, sh];
        writeRow(...args, oxStart, oxEnd, oxStart * sw + offset, H * W * 4, sw);
      }
    }
  }
}

/** Writes A for images [firstImage, firstImage + images) from x laid out [C, N, H, W]. */
function writeTransposedIm2col(
  out: Float32Array,
  x: Float32Array,
  info: ReturnType<typeof forwardGeometry>,
  firstImage: number,
  images: number,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const columns = images * OH * OW;
  let row = 0;
  for (let kh = 0; kh < info.filterHeight; kh++) {
    for (let kw = 0; kw < info.filterWidth; kw++) {
      // The output columns whose input column lies inside the image, for this kernel column.
      const offset = kw * dw - left;
      const oxStart = Math.min(OW, Math.max(0, Math.ceil(-offset / sw)));
      const oxEnd = Math.max(oxStart, Math.min(OW, Math.floor((W - 1 - offset) / sw) + 1));
      for (let c = 0; c < C; c++, row++) {
        let o = row * columns;
        for (let n = firstImage; n < firstImage + images; n++) {
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * sh + kh * dh - top;
            if (iy < 0 || iy >= H) {
              out.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            const base = ((c * N + n) * H + iy) * W;
            for (let ox = 0; ox < oxStart; ox++) out[o++] = 0;
            let i = base + oxStart * sw + offset;
            for (let ox = oxStart; ox < oxEnd; ox++, i += sw) out[o++] = x[i]!;
            for (let ox = oxEnd; ox < OW; ox++) out[o++] = 0;
          }
        }
      }
    }
  }
}
