// Conv2DBackpropInput for strided convolutions on WebAssembly: one matrix product gives, for every
// output position, the gradient of each input value its window touched (dy[P, F] · Wᵀ[F, KH·KW·C]),
// then one pass in JavaScript adds those into place (col2im). Zero-inserting the gradient to reuse a
// stride-1 convolution would multiply the work by the strides' product (4 for stride 2).
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import type { KernelScope } from './kernel-scope.ts';

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
  const KH = info.filterHeight;
  const KW = info.filterWidth;
  const taps = KH * KW * C;
  const weightsT = scope.transpose(scope.reshape(filter, [taps, F]), [1, 0]); // [F, KH·KW·C]
  const columns = scope.run(
    'BatchMatMul',
    { a: scope.reshape(dy, [1, N * OH * OW, F]), b: scope.reshape(weightsT, [1, F, taps]) },
    { transposeA: false, transposeB: false },
  );
  const out = scope.output([N, H, W, C]);
  const dx = out.values();
  const cols = scope.read(columns);
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
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
