// Float64 reference loops for convolution gradients, for tests: the CPU backend has no dilated
// Conv2DBackpropFilter/Input (tfjs refuses gradients of dilated convolutions), so dilated cases are
// checked against these instead.
import { forwardGeometry, type ConvGradAttrs } from './conv-geometry.ts';

export function referenceFilterGrad(
  x: Float32Array,
  xShape: number[],
  dy: Float32Array,
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs,
): Float64Array {
  const info = forwardGeometry(xShape, filterShape, attrs);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels: F } = info;
  const [KH, KW] = filterShape;
  const out = new Float64Array(KH * KW * C * F);
  for (let n = 0; n < batchSize; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const iy = oy * info.strideHeight + kh * info.dilationHeight - info.padInfo.top;
            const ix = ox * info.strideWidth + kw * info.dilationWidth - info.padInfo.left;
            if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) continue;
            for (let c = 0; c < C; c++) {
              const xv = x[((n * inHeight + iy) * inWidth + ix) * C + c]!;
              for (let f = 0; f < F; f++) {
                out[((kh * KW + kw) * C + c) * F + f]! +=
                  xv * dy[((n * outHeight + oy) * outWidth + ox) * F + f]!;
              }
            }
          }
  return out;
}

export function referenceInputGrad(
  dy: Float32Array,
  w: Float32Array,
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs,
): Float64Array {
  const info = forwardGeometry(inputShape, filterShape, attrs);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels: F } = info;
  const [KH, KW] = filterShape;
  const out = new Float64Array(inputShape.reduce((p, s) => p * s, 1));
  for (let n = 0; n < batchSize; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const iy = oy * info.strideHeight + kh * info.dilationHeight - info.padInfo.top;
            const ix = ox * info.strideWidth + kw * info.dilationWidth - info.padInfo.left;
            if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) continue;
            for (let c = 0; c < C; c++) {
              let sum = 0;
              for (let f = 0; f < F; f++) {
                sum +=
                  dy[((n * outHeight + oy) * outWidth + ox) * F + f]! * w[((kh * KW + kw) * C + c) * F + f]!;
              }
              out[((n * inHeight + iy) * inWidth + ix) * C + c]! += sum;
            }
          }
  return out;
}

/** max|a − b| / max|b|: the error relative to the result's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Depthwise gradients (channel multiplier M): the CPU backend's loops ignore dilations. */
export function referenceDepthwiseGrads(
  x: Float32Array,
  dy: Float32Array,
  w: Float32Array,
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs,
): { filter: Float64Array; input: Float64Array } {
  const info = forwardGeometry(inputShape, filterShape, attrs, true);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels } = info;
  const [KH, KW, , M] = filterShape;
  const filter = new Float64Array(KH * KW * C * M);
  const input = new Float64Array(inputShape.reduce((p, s) => p * s, 1));
  for (let n = 0; n < batchSize; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const iy = oy * info.strideHeight + kh * info.dilationHeight - info.padInfo.top;
            const ix = ox * info.strideWidth + kw * info.dilationWidth - info.padInfo.left;
            if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) continue;
            for (let c = 0; c < C; c++)
              for (let m = 0; m < M; m++) {
                const g = dy[((n * outHeight + oy) * outWidth + ox) * outChannels + c * M + m]!;
                const xi = ((n * inHeight + iy) * inWidth + ix) * C + c;
                filter[((kh * KW + kw) * C + c) * M + m]! += x[xi]! * g;
                input[xi]! += w[((kh * KW + kw) * C + c) * M + m]! * g;
              }
          }
  return { filter, input };
}
