// relu(conv2d(x, w) + b) as one training op, so that both passes stay fused:
// - forward: the backend's FusedConv2D kernel (tfjs's own fused op falls back to three unfused kernels
//   whenever gradients are recorded, two extra passes over the largest activations);
// - backward: the filter and bias gradients come from one kernel (on WebAssembly one matrix product,
//   the bias as an extra row of ones in im2col), and the input gradient only when it is needed.
import {
  engine,
  getBackend,
  getKernel,
  keep,
  registerGradient,
  registerKernel,
  sum,
  unregisterKernel,
  type KernelBackend,
  type KernelFunc,
  type NamedAttrMap,
  type Tensor,
  type Tensor1D,
  type Tensor4D,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { FilterGradAttrs } from './conv2d-backprop-filter.ts';
import { filterAndBiasGradByIm2col } from './filter-grad-im2col.ts';
import { KernelScope } from './kernel-scope.ts';
import { registerReluGrad, reluGradient } from './relu-grad.ts';
import { isMaskedFor, markReluOutput } from './relu-pool-marks.ts';
import { winogradConvolution } from './winograd.ts';

export const CONV_BIAS_RELU = 'RadfedConv2DBiasRelu';
export const FILTER_BIAS_GRAD = 'RadfedConv2DBackpropFilterBias';

export interface ConvBiasReluAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid';
}

/** relu(conv2d(x, filter) + bias), NHWC, no dilation. */
export function conv2dBiasRelu(
  x: Tensor4D,
  filter: Tensor4D,
  bias: Tensor1D,
  attrs: ConvBiasReluAttrs,
): Tensor4D {
  const backendName = getBackend();
  if (!getKernel(CONV_BIAS_RELU, backendName)) registerConvBiasRelu(backendName);
  return engine().runKernel(CONV_BIAS_RELU, { x, filter, bias }, {
    ...attrs,
  } as unknown as NamedAttrMap) as Tensor4D;
}

type KernelArgs = { inputs: object; backend: KernelBackend; attrs?: NamedAttrMap };

function fusedForward(backendName: string): KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const winograd = backendName === 'wasm' ? winogradForward(inputs, backend, attrs) : null;
    if (winograd) {
      markReluOutput(winograd);
      return winograd;
    }
    const fused = getKernel('FusedConv2D', backendName);
    if (!fused) throw new Error(`The ${backendName} backend has no FusedConv2D kernel.`);
    const y = fused.kernelFunc({
      inputs: inputs as never,
      backend,
      attrs: { ...attrs, dilations: 1, dataFormat: 'NHWC', activation: 'relu', leakyreluAlpha: 0 } as never,
    }) as TensorInfo;
    markReluOutput(y);
    return y;
  }) as KernelFunc;
}

/** The forward pass by Winograd's algorithm where it applies (winograd.ts), else null. */
function winogradForward(inputs: object, backend: KernelBackend, attrs?: NamedAttrMap): TensorInfo | null {
  const { x, filter, bias } = inputs as { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
  const a = attrs as unknown as ConvBiasReluAttrs;
  const strides = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
  if (a.pad !== 'same' || strides[0] !== 1 || strides[1] !== 1) return null;
  const scope = new KernelScope(backend, 'wasm');
  const y = winogradConvolution(scope, x, filter, { bias, relu: true, flip: false });
  if (!y) {
    scope.dispose();
    return null;
  }
  return scope.finish(y);
}

/** [dW, dB] from the backend's own kernels: its filter gradient and a sum over the bias axes. */
function composedFilterBiasGrad(backendName: string): KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const scope = new KernelScope(backend, backendName);
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const dW = scope.keep(scope.run('Conv2DBackpropFilter', { x, dy }, attrs as object));
    const dB = scope.run('Sum', { x: dy }, { axis: [0, 1, 2], keepDims: false });
    return [dW, scope.finish(dB)];
  }) as unknown as KernelFunc;
}

function im2colFilterBiasGrad(backendName: string): KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const scope = new KernelScope(backend, backendName);
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const [dW, dB] = filterAndBiasGradByIm2col(scope, x, dy, attrs as unknown as FilterGradAttrs);
    scope.keep(dW);
    return [dW, scope.finish(dB)];
  }) as unknown as KernelFunc;
}

let gradientRegistered = false;
let pendingBiasGrad: Tensor | undefined;

export function registerConvBiasRelu(backendName: string): void {
  const grad =
    backendName === 'wasm' ? im2colFilterBiasGrad(backendName) : composedFilterBiasGrad(backendName);
  for (const [kernelName, kernelFunc] of [
    [CONV_BIAS_RELU, fusedForward(backendName)],
    [FILTER_BIAS_GRAD, grad],
  ] as const) {
    if (getKernel(kernelName, backendName)) unregisterKernel(kernelName, backendName);
    registerKernel({ kernelName, backendName, kernelFunc });
  }
  registerReluGrad(backendName);
  if (gradientRegistered) return;
  gradientRegistered = true;
  registerGradient({
    kernelName: CONV_BIAS_RELU,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, filter, y] = saved as [Tensor4D, Tensor4D, Tensor4D];
      const a = attrs as unknown as ConvBiasReluAttrs;
      // After a 2×2 pool that folded this ReLU's gradient in (relu-pool-marks.ts), dy already has it.
      const dyRelu = isMaskedFor(dy as Tensor4D, y) ? (dy as Tensor4D) : reluGradient(dy as Tensor4D, y);
      // The engine runs each input's gradient in its own tidy scope, x then filter then bias, right
      // after this function: the bias gradient computed with the filter's waits, kept, for the next.
      pendingBiasGrad?.dispose();
      pendingBiasGrad = undefined;
      return {
        x: () =>
          engine().runKernel('Conv2DBackpropInput', { dy: dyRelu, filter }, {
            ...a,
            dataFormat: 'NHWC',
            inputShape: x.shape,
          } as unknown as NamedAttrMap) as Tensor,
        filter: () => {
          const [dW, dB] = engine().runKernel(FILTER_BIAS_GRAD, { x, dy: dyRelu }, {
            ...a,
            dataFormat: 'NHWC',
            filterShape: filter.shape,
          } as unknown as NamedAttrMap) as Tensor[];
          pendingBiasGrad = keep(dB!);
          return dW!;
        },
        bias: () => {
          const dB = pendingBiasGrad ?? sum(dyRelu, [0, 1, 2]);
          pendingBiasGrad = undefined;
          return dB;
        },
      };
    },
  });
}
