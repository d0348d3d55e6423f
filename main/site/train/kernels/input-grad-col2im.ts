// Conv2DBackpropInput on WebAssembly by a matrix product and col2im: one product gives, for every
// output position, the gradient of each input value its window touched (dy[P, F] · Wᵀ[F, KH·KW·C]),
// then one pass in JavaScript adds those into place. Used for strided convolutions (zero-inserting the
// gradient to reuse a stride-1 convolution would multiply the work by the strides' product) and for
// small maps, where the kernel rows and columns that only ever meet padding are dropped first: on a
// 1×1 map a 3×3 convolution's gradient is its centre tap alone, a ninth of the product, and XNNPACK's
// convolution took 5× longer than this product on such maps (docs/benchmarks.md, "CPU step profile").
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import type { KernelScope } from './kernel-scope.ts';

/** The kernel taps along one axis that meet the input for some output position: [first, last]. */
function usedTaps(
  taps: number,
  dilation: number,
  stride: number,
  outLength: number,
  inLength: number,
  before: number,
): [number, number] {
  let first = taps;
  let last = -1;
  for (let k = 0; k < taps; k++) {
    const lowest = k * dilation - before;
    const highest = (outLength - 1) * stride + k * dilation - before;
    if (highest >= 0 && lowest <= inLength - 1) {
      first = Math.min(first, k);
      last = k;
    }
  }
  return [first, last];
}

export function inputGradByCol2im(
  scope: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    outChannels: F,
  } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const [kh0, kh1] = usedTaps(info.filterHeight, dh, sh, OH, H, info.padInfo.top);
  const [kw0, kw1] = usedTaps(info.filterWidth, dw, sw, OW, W, info.padInfo.left);
  const out = scope.output([N, H, W, C]);
  if (kh1 < kh0 || kw1 < kw0) {
    out.values(); // zeroed: every window lies in the padding
    return out.info();
  }
  const KH = kh1 - kh0 + 1;
  const KW = kw1 - kw0 + 1;
  const top = info.padInfo.top - kh0 * dh;
  const left = info.padInfo.left - kw0 * dw;
  const used = scope.slice(filter, [kh0, kw0, 0, 0], [KH, KW, C, F]);
  const taps = KH * KW * C;
  const weightsT = scope.transpose(scope.reshape(used, [taps, F]), [1, 0]); // [F, KH·KW·C]
  const columns = scope.run(
    'BatchMatMul',
    { a: scope.reshape(dy, [1, N * OH * OW, F]), b: scope.reshape(weightsT, [1, F, taps]) },
    { transposeA: false, transposeB: false },
  );
  const dx = out.values();
  const cols = scope.read(columns);
  let p = 0;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, p += taps) {
        for (let kh = 0; kh < KH; kh++) {
          const iy = oy * sh + kh * dh - top;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const ix = ox * sw + kw * dw - left;
            if (ix < 0 || ix >= W) continue;
            const target = ((n * H + iy) * W + ix) * C;
            const source = p + (kh * KW + kw) * C;
            for (let c = 0; c < C; c++) dx[target + c]! += cols[source + c]!;
          }
        }
      }
    }
  }
  return out.info();
}
