// Conv2DBackpropInput for WebAssembly. Without strides, a forward convolution XNNPACK computes: the
// output gradient convolved with the filter turned by 180° and its in/out channels swapped. With
// strides, or on maps of a few pixels (the last layers of ResNet-18 and DenseNet-121 on small images),
// a matrix product and col2im (input-grad-col2im.ts). The stock wasm kernel is a plain loop, 5–10×
// slower.
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  axisWindow,
  channelsLastAttrs,
  forwardGeometry,
  toChannelsLast,
  type ConvGradAttrs,
} from './conv-geometry.ts';
import { zeros } from './conv2d-backprop-filter.ts';
import { inputGradByCol2im } from './input-grad-col2im.ts';
import { KernelScope } from './kernel-scope.ts';
import { winogradApplies, winogradConvolution } from './winograd.ts';

/**
 * Maps of at most this many pixels take the product and col2im: measured on [32, h, w, c] gradients of
 * 3×3 convolutions (c = 512 at 1×1 down to 128 at 4×4), XNNPACK's convolution took 1.2–5× longer up
 * to 4×4 and was as fast from 8×8 (docs/benchmarks.md, "CPU step profile").
 */
const SMALL_MAP_PIXELS = 16;

export type InputGradAttrs = ConvGradAttrs & { inputShape: [number, number, number, number] };

export function inputGradByConvolution(backendName: string) {
  return ({ inputs, backend, attrs }: { inputs: object; backend: KernelBackend; attrs?: NamedAttrMap }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as InputGradAttrs;
    const scope = new KernelScope(backend, backendName);
    try {
      const channelsLast = a.dataFormat !== 'NCHW';
      const dyl = channelsLast ? dy : scope.transpose(dy, [0, 2, 3, 1]);
      const inputShape = channelsLast ? a.inputShape : toChannelsLast(a.inputShape);
      const dx = inputGrad(scope, dyl, filter, inputShape, channelsLastAttrs(a));
      return scope.finish(channelsLast ? dx : scope.transpose(dx, [0, 3, 1, 2]));
    } catch (error) {
      scope.dispose();
      throw error;
    }
  };
}

function inputGrad(
  scope: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: readonly number[],
  attrs: ConvGradAttrs,
): TensorInfo {
  const info = forwardGeometry(inputShape, filter.shape, attrs);
  const { batchSize, inHeight, inWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  if (sh > 1 || sw > 1 || inHeight * inWidth <= SMALL_MAP_PIXELS)
    return inputGradByCol2im(scope, dy, filter, info);
  // dx[iy] = Σ_kh dy[iy + top − kh·dh]·w[kh]: a correlation with the flipped filter over these rows.
  const rows = axisWindow(dy.shape[1]!, top - (filterHeight - 1) * dh, inHeight + top);
  const cols = axisWindow(dy.shape[2]!, left - (filterWidth - 1) * dw, inWidth + left);
  if (rows.size === 0 || cols.size === 0)
    return zeros(scope, [batchSize, inHeight, inWidth, filter.shape[2]!]);
  const used = scope.slice(
    dy,
    [0, rows.begin, cols.begin, 0],
    [batchSize, rows.size, cols.size, outChannels],
  );
  if (rows.padBefore === 1 && rows.padAfter === 1 && cols.padBefore === 1 && cols.padAfter === 1) {
    const winograd = winogradInputGrad(scope, used, filter, info);
    if (winograd) return winograd;
  }
  const flipped = scope.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = scope.transpose(flipped, [0, 1, 3, 2]); // [KH, KW, F, C]
  return scope.run(
    'Conv2D',
    { x: used, filter: swapped },
    {
      strides: [1, 1],
      dilations: [dh, dw],
      pad: [
        [0, 0],
        [rows.padBefore, rows.padAfter],
        [cols.padBefore, cols.padAfter],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
}

/**
 * A 3×3, stride-1 'same' convolution's input gradient by Winograd's algorithm (winograd.ts): dy
 * convolved with the filter's channels swapped, the turn by 180° done in the filter's transform.
 */
function winogradInputGrad(
  scope: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  info: ReturnType<typeof forwardGeometry>,
): TensorInfo | null {
  const [FH, FW, C, F] = filter.shape as [number, number, number, number];
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (dy.shape[1] !== info.inHeight || dy.shape[2] !== info.inWidth) return null;
  if (!winogradApplies(dy.shape, [FH, FW, F, C])) return null;
  const swapped = scope.transpose(filter, [0, 1, 3, 2]); // [KH, KW, F, C]
  return winogradConvolution(scope, dy, swapped, { relu: false, flip: true });
}
