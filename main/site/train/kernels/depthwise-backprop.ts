// The depthwise convolution's gradients, which the WebAssembly backend lacks, as plain loops over the
// backend's memory. Depthwise layers are cheap (one filter per channel), so clarity wins over speed.
// Forward: y[n,oy,ox,c·M+m] = Σ_kh,kw x[n, oy·sh+kh·dh−top, ox·sw+kw·dw−left, c]·w[kh,kw,c,m].
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { forwardGeometry, type ConvGradAttrs } from './conv-geometry.ts';
import { KernelScope } from './kernel-scope.ts';

type KernelArgs = { inputs: object; backend: KernelBackend; attrs?: NamedAttrMap };

/** Visits every (output position, kernel offset) pair whose input position lies inside the image. */
function forEachTap(
  info: ReturnType<typeof forwardGeometry>,
  visit: (n: number, oy: number, ox: number, kh: number, kw: number, iy: number, ix: number) => void,
): void {
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth, inHeight, inWidth } = info;
  const { top, left } = info.padInfo;
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let kh = 0; kh < filterHeight; kh++) {
        const iy = oy * info.strideHeight + kh * info.dilationHeight - top;
        if (iy < 0 || iy >= inHeight) continue;
        for (let ox = 0; ox < outWidth; ox++) {
          for (let kw = 0; kw < filterWidth; kw++) {
            const ix = ox * info.strideWidth + kw * info.dilationWidth - left;
            if (ix < 0 || ix >= inWidth) continue;
            visit(n, oy, ox, kh, kw, iy, ix);
          }
        }
      }
    }
  }
}

export function depthwiseFilterGrad(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
    const scope = new KernelScope(backend, backendName);
    const info = forwardGeometry(x.shape, a.filterShape, a, true);
    const { inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels, filterWidth } = info;
    const M = outChannels / C;
    const out = scope.output([...a.filterShape]);
    const dw = out.values();
    const xs = scope.read(x);
    const dys = scope.read(dy);
    forEachTap(info, (n, oy, ox, kh, kw, iy, ix) => {
      const xBase = ((n * inHeight + iy) * inWidth + ix) * C;
      const dyBase = ((n * outHeight + oy) * outWidth + ox) * outChannels;
      const wBase = (kh * filterWidth + kw) * C * M;
      for (let c = 0; c < C; c++) {
        const xv = xs[xBase + c]!;
        for (let m = 0; m < M; m++) dw[wBase + c * M + m]! += xv * dys[dyBase + c * M + m]!;
      }
    });
    return scope.finish(out.info());
  };
}

export function depthwiseInputGrad(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] };
    const scope = new KernelScope(backend, backendName);
    const info = forwardGeometry(a.inputShape, filter.shape, a, true);
    const { inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels, filterWidth } = info;
    const M = outChannels / C;
    const out = scope.output([...a.inputShape]);
    const dx = out.values();
    const ws = scope.read(filter);
    const dys = scope.read(dy);
    forEachTap(info, (n, oy, ox, kh, kw, iy, ix) => {
      const xBase = ((n * inHeight + iy) * inWidth + ix) * C;
      const dyBase = ((n * outHeight + oy) * outWidth + ox) * outChannels;
      const wBase = (kh * filterWidth + kw) * C * M;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let m = 0; m < M; m++) sum += dys[dyBase + c * M + m]! * ws[wBase + c * M + m]!;
        dx[xBase + c]! += sum;
      }
    });
    return scope.finish(out.info());
  };
}
