// MaxPoolGrad for WebAssembly as one pass in JavaScript over the module's memory: each output's
// gradient goes to the first largest input of its window (the CPU backend's rule). The stock wasm
// kernel took 80 ms of a 200 ms reference-CNN step (batch 32, 64×64); this takes a few. With channels
// in fours it runs in WebAssembly SIMD, 3–5× faster again: the usual 2×2 pool in simd-kernels.ts, any
// other window (ResNet's 3×3, stride 2) in max-pool-grad-simd.ts.
import { backend_util, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScope } from './kernel-scope.ts';
import { backendMemory, simdKernelsFor } from './simd-kernels.ts';
import { maxPoolGradSimdFor } from './max-pool-grad-simd.ts';
import { isReluOutput, markMaskedGradient } from './relu-pool-marks.ts';

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function maxPoolGrad(backendName: string) {
  return ({ inputs, backend, attrs }: { inputs: object; backend: KernelBackend; attrs?: NamedAttrMap }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as unknown as MaxPoolGradAttrs;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const scope = new KernelScope(backend, backendName);
    const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
    const { strideHeight, strideWidth, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
    const { top, left } = info.padInfo;
    const plain2x2 = fh === 2 && fw === 2 && strideHeight === 2 && strideWidth === 2;
    // Windows that tile the input exactly: every input gets written, so no zero fill is needed.
    if (plain2x2 && top === 0 && left === 0 && 2 * outHeight === inHeight && 2 * outWidth === inWidth) {
      const out = scope.output([...input.shape], false);
      const dx = out.values();
      const simd = C % 4 === 0 ? simdKernelsFor(backendMemory(backend)) : null;
      if (simd) {
        const [xs, dys] = [scope.read(input), scope.read(dy)];
        const afterRelu = isReluOutput(input);
        const [rowPairs, at] = [batchSize * outHeight, (v: Float32Array) => v.byteOffset];
        simd.maxPoolGrad2x2(at(dx), at(xs), at(dys), rowPairs, outWidth, C, afterRelu ? 1 : 0);
        if (afterRelu) markMaskedGradient(out.info(), input);
        return scope.finish(out.info());
      }
      poolGrad2x2(
        dx,
        scope.read(input),
        scope.read(dy),
        batchSize,
        inHeight,
        inWidth,
        C,
        outHeight,
        outWidth,
      );
      return scope.finish(out.info());
    }
    const out = scope.output([...input.shape]);
    const dx = out.values();
    const xs = scope.read(input);
    const dys = scope.read(dy);
    const windows = C % 4 === 0 ? maxPoolGradSimdFor(backendMemory(backend)) : null;
    if (windows) {
      for (let n = 0; n < batchSize; n++) {
        for (let oy = 0; oy < outHeight; oy++) {
          const y0 = oy * strideHeight - top;
          const [yStart, yEnd] = [Math.max(0, y0), Math.min(inHeight, y0 + fh)];
          for (let ox = 0; ox < outWidth; ox++) {
            const x0 = ox * strideWidth - left;
            const [xStart, xEnd] = [Math.max(0, x0), Math.min(inWidth, x0 + fw)];
            if (yEnd <= yStart || xEnd <= xStart) continue; // a window of padding only: no gradient
            const first = ((n * inHeight + yStart) * inWidth + xStart) * C * 4;
            const o = ((n * outHeight + oy) * outWidth + ox) * C * 4;
            const rowBytes = inWidth * C * 4;
            windows.window(
              dx.byteOffset + first,
              xs.byteOffset + first,
              dys.byteOffset + o,
              C * 4,
              rowBytes,
              yEnd - yStart,
              xEnd - xStart,
            );
          }
        }
      }
      return scope.finish(out.info());
    }
    const best = new Float32Array(C);
    const where = new Int32Array(C);
    for (let n = 0; n < batchSize; n++) {
      for (let oy = 0; oy < outHeight; oy++) {
        const y0 = oy * strideHeight - top;
        const yStart = Math.max(0, y0);
        const yEnd = Math.min(inHeight, y0 + fh);
        for (let ox = 0; ox < outWidth; ox++) {
          const x0 = ox * strideWidth - left;
          const xStart = Math.max(0, x0);
          const xEnd = Math.min(inWidth, x0 + fw);
          best.fill(-Infinity);
          where.fill(-1);
          for (let iy = yStart; iy < yEnd; iy++) {
            for (let ix = xStart; ix < xEnd; ix++) {
              const base = ((n * inHeight + iy) * inWidth + ix) * C;
              for (let c = 0; c < C; c++) {
                const v = xs[base + c]!;
                if (v > best[c]! || where[c] === -1) {
                  best[c] = v;
                  where[c] = base + c;
                }
              }
            }
          }
          const o = ((n * outHeight + oy) * outWidth + ox) * C;
          for (let c = 0; c < C; c++) {
            const at = where[c]!;
            if (at >= 0) dx[at]! += dys[o + c]!;
          }
        }
      }
    }
    return scope.finish(out.info());
  };
}

/** The usual 2×2, stride-2 pool over even sizes: four candidates at fixed offsets, first largest wins. */
function poolGrad2x2(
  dx: Float32Array,
  xs: Float32Array,
  dys: Float32Array,
  batch: number,
  H: number,
  W: number,
  C: number,
  OH: number,
  OW: number,
): void {
  const rowStride = W * C;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const rowBase = (n * H + oy * 2) * rowStride;
      let o = (n * OH + oy) * OW * C;
      for (let ox = 0; ox < OW; ox++) {
        const a0 = rowBase + ox * 2 * C;
        for (let c = 0; c < C; c++, o++) {
          const i0 = a0 + c;
          const i1 = i0 + C;
          const i2 = i0 + rowStride;
          const i3 = i2 + C;
          const g = dys[o]!;
          dx[i0] = 0;
          dx[i1] = 0;
          dx[i2] = 0;
          dx[i3] = 0;
          let at = i0;
          let best = xs[i0]!;
          if (xs[i1]! > best) {
            best = xs[i1]!;
            at = i1;
          }
          if (xs[i2]! > best) {
            best = xs[i2]!;
            at = i2;
          }
          if (xs[i3]! > best) at = i3;
          dx[at] = g;
        }
      }
    }
  }
}
