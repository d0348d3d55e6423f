// Geometry shared by the convolution-gradient kernels: tfjs's convolution info for the forward
// convolution a gradient belongs to, and the windows that turn a gradient into another convolution.
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';

export interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
}

/** The forward convolution's geometry, always channels-last (inputs are transposed when they are not). */
export function forwardGeometry(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvGradAttrs,
  depthwise = false,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/** The attributes for the same convolution seen channels-last (explicit NCHW pads are reordered). */
export function channelsLastAttrs<T extends ConvGradAttrs>(attrs: T): T {
  if (attrs.dataFormat !== 'NCHW') return attrs;
  const pad = Array.isArray(attrs.pad) ? [attrs.pad[0], attrs.pad[2], attrs.pad[3], attrs.pad[1]] : attrs.pad;
  return { ...attrs, pad: pad as ConvGradAttrs['pad'], dataFormat: 'NHWC' };
}

/** NCHW shape → NHWC shape. */
export function toChannelsLast(shape: readonly number[]): number[] {
  return [shape[0]!, shape[2]!, shape[3]!, shape[1]!];
}

/**
 * Which part of an axis of length `available` a convolution reads when it wants the rows [from, to):
 * rows outside the axis become zero padding, rows of the axis outside the window are cut off.
 */
export interface AxisWindow {
  begin: number;
  size: number;
  padBefore: number;
  padAfter: number;
}

export function axisWindow(available: number, from: number, to: number): AxisWindow {
  const begin = Math.max(0, Math.min(from, available));
  const end = Math.max(begin, Math.min(to, available));
  return { begin, size: end - begin, padBefore: Math.max(0, -from), padAfter: Math.max(0, to - available) };
}

export function isTensorInfo(x: unknown): x is TensorInfo {
  return typeof x === 'object' && x !== null && 'dataId' in x && 'shape' in x;
}
