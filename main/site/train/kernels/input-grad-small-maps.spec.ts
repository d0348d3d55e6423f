// Conv2DBackpropInput on maps of a few pixels (the last layers of ResNet-18 and DenseNet-121 on small
// images) takes the product and col2im with the kernel taps that only meet padding dropped: checked
// against the CPU backend's kernel to 1e-5, on 1×1 to 4×4 maps with 1×1, 3×3 and 5×5 kernels, 'same',
// 'valid' and explicit padding, strides 1 and 2, and padding wider than the map.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { forwardGeometry, type ConvGradAttrs } from './conv-geometry.ts';
import { relativeError } from './reference-convolution.ts';

const TOLERANCE = 1e-5;

interface Case {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  attrs: ConvGradAttrs;
}

const pads = (p: number, q = p): ConvGradAttrs['pad'] => [
  [0, 0],
  [p, q],
  [p, q],
  [0, 0],
];

const CASES: Case[] = [
  // ResNet-18's layer 4 at 10 px: one pixel, 3×3 taps of which only the centre meets the map.
  { input: [4, 1, 1, 24], filter: [3, 3, 24, 24], attrs: { strides: 1, pad: pads(1), dataFormat: 'NHWC' } },
  { input: [3, 2, 2, 16], filter: [3, 3, 16, 8], attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC' } },
  { input: [2, 3, 3, 5], filter: [5, 5, 5, 7], attrs: { strides: 1, pad: pads(2), dataFormat: 'NHWC' } },
  { input: [2, 4, 4, 6], filter: [3, 3, 6, 4], attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC' } },
  { input: [2, 4, 4, 6], filter: [1, 1, 6, 4], attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC' } },
  { input: [2, 1, 3, 4], filter: [3, 3, 4, 5], attrs: { strides: 1, pad: pads(2, 1), dataFormat: 'NHWC' } },
  { input: [2, 2, 2, 8], filter: [3, 3, 8, 8], attrs: { strides: 2, pad: pads(1), dataFormat: 'NHWC' } },
  { input: [2, 1, 1, 3], filter: [3, 3, 3, 2], attrs: { strides: 2, pad: pads(3), dataFormat: 'NHWC' } },
];

const size = (shape: readonly number[]) => shape.reduce((p, s) => p * s, 1);

async function inputGradient(backend: string, c: Case, dy: Float32Array, w: Float32Array) {
  await tf.setBackend(backend);
  const dyShape = forwardGeometry(c.input, c.filter, c.attrs).outShape;
  return tf.tidy(() => {
    const out = tf
      .engine()
      .runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, dyShape), filter: tf.tensor(w, c.filter) }, {
        ...c.attrs,
        inputShape: c.input,
      } as never) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

describe('the WebAssembly input gradient on small maps', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
  });

  it.each(CASES.map((c, i) => [i, c] as const))('matches the CPU backend (case %i)', async (_, c) => {
    const random = new SeededRandom(21);
    const dy = random.floats(size(forwardGeometry(c.input, c.filter, c.attrs).outShape));
    const w = random.floats(size(c.filter));
    const expected = await inputGradient('cpu', c, dy, w);
    const actual = await inputGradient('wasm', c, dy, w);
    expect(actual.length).toBe(size(c.input));
    expect(relativeError(actual, expected)).toBeLessThan(TOLERANCE);
  });
});
