// Conv2D on WebAssembly: 3×3, stride-1, 'same' convolutions of channels-last tensors by Winograd's
// F(2×2, 3×3) (winograd.ts: most of ResNet-18's convolutions, 2.25× fewer multiplies), every other
// convolution by the backend's own kernel (XNNPACK).
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScope } from './kernel-scope.ts';
import { winogradConvolution } from './winograd.ts';

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
}

const pair = (v: number | [number, number] | undefined): [number, number] =>
  v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v;

/** Padding of one pixel on every side: 'same' for a 3×3 filter at stride 1, or written out. */
function padsOne(pad: Conv2DAttrs['pad']): boolean {
  if (pad === 'same' || pad === 1) return true;
  if (!Array.isArray(pad)) return false;
  const [batch, rows, cols, channels] = pad as number[][];
  return (
    [batch, channels].every((p) => p?.[0] === 0 && p[1] === 0) &&
    [rows, cols].every((p) => p?.[0] === 1 && p[1] === 1)
  );
}

/** `stock` (the backend's Conv2D) wrapped: Winograd's where it applies. */
export function conv2dWinograd(stock: KernelFunc): KernelFunc {
  return (({ inputs, backend, attrs }: { inputs: object; backend: KernelBackend; attrs: NamedAttrMap }) => {
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as Conv2DAttrs;
    const stride = pair(a.strides);
    const dilation = pair(a.dilations);
    if (
      a.dataFormat !== 'NCHW' &&
      stride[0] === 1 &&
      stride[1] === 1 &&
      dilation[0] === 1 &&
      dilation[1] === 1 &&
      padsOne(a.pad)
    ) {
      const scope = new KernelScope(backend, 'wasm');
      const y = winogradConvolution(scope, x, filter, { relu: false, flip: false });
      if (y) return scope.finish(y);
      scope.dispose();
    }
    return stock({ inputs, backend, attrs } as never);
  }) as unknown as KernelFunc;
}
