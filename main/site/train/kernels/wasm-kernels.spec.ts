// Our WebAssembly kernels against the CPU backend (and, for dilations, which the CPU backend's
// convolution gradients do not take, against float64 loops) on random shapes: strides 1–3, same /
// valid / explicit padding, dilations, odd sizes, batches above one, NHWC and NCHW.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { forwardGeometry, type ConvGradAttrs } from './conv-geometry.ts';
import { conv2dBiasRelu, im2colLimits } from './index.ts';
import {
  referenceDepthwiseGrads,
  referenceFilterGrad,
  referenceInputGrad,
  relativeError,
} from './reference-convolution.ts';

const TOLERANCE = 1e-4;

interface Case {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  attrs: ConvGradAttrs;
}

function randomCase(random: SeededRandom, dilated: boolean, depthwise = false): Case {
  const kh = random.int(1, 4);
  const kw = random.int(1, 4);
  const stride: [number, number] = dilated ? [1, 1] : [random.int(1, 3), random.int(1, 3)];
  const dilation: [number, number] = dilated ? [random.int(1, 3), random.int(2, 3)] : [1, 1];
  const minH = (kh - 1) * dilation[0] + 1;
  const minW = (kw - 1) * dilation[1] + 1;
  const h = random.int(minH, minH + 9);
  const w = random.int(minW, minW + 9);
  const c = random.int(1, 5);
  const f = depthwise ? random.int(1, 3) : random.int(1, 6);
  const pad = random.pick(['same', 'valid', 'explicit'] as const);
  const attrs: ConvGradAttrs = {
    strides: stride,
    dilations: dilation,
    dataFormat: 'NHWC',
    pad:
      pad === 'explicit'
        ? [
            [0, 0],
            [random.int(0, 2), random.int(0, 2)],
            [random.int(0, 2), random.int(0, 2)],
            [0, 0],
          ]
        : pad,
  };
  return { input: [random.int(1, 3), h, w, c], filter: [kh, kw, c, f], attrs };
}

function outShape(c: Case, depthwise = false): number[] {
  return forwardGeometry(c.input, c.filter, c.attrs, depthwise).outShape;
}

const size = (shape: readonly number[]) => shape.reduce((p, s) => p * s, 1);

async function runKernel(
  backend: string,
  name: string,
  inputs: Record<string, [Float32Array, number[]]>,
  attrs: object,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, [v, s]]) => [k, tf.tensor(v, s)]));
    const out = tf.engine().runKernel(name, tensors, attrs as never) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

const toNchw = (v: Float32Array, [n, h, w, c]: number[]) =>
  tf.tidy(() => tf.transpose(tf.tensor(v, [n!, h!, w!, c!]), [0, 3, 1, 2]).dataSync() as Float32Array);

describe('WebAssembly convolution-gradient kernels', () => {
  beforeAll(async () => {
    const report = await selectBackend({ choice: 'wasm' });
    expect(report.kernels.join(' ')).toContain('Conv2DBackpropFilter');
  });

  it('Conv2DBackpropFilter matches the CPU backend on 40 random shapes (strides, padding, odd sizes)', async () => {
    const random = new SeededRandom(11);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(random, false);
      const x = random.floats(size(c.input));
      const dyShape = outShape(c);
      const dy = random.floats(size(dyShape));
      const nchw = i % 5 === 4;
      const inputs: Record<string, [Float32Array, number[]]> = nchw
        ? {
            x: [toNchw(x, c.input), [c.input[0], c.input[3], c.input[1], c.input[2]]],
            dy: [toNchw(dy, dyShape), [dyShape[0]!, dyShape[3]!, dyShape[1]!, dyShape[2]!]],
          }
        : { x: [x, c.input], dy: [dy, dyShape] };
      const pad = c.attrs.pad;
      const nchwPad = Array.isArray(pad) ? [pad[0], pad[3], pad[1], pad[2]] : pad;
      const attrs = nchw
        ? { ...c.attrs, pad: nchwPad, dilations: undefined, dataFormat: 'NCHW', filterShape: c.filter }
        : { ...c.attrs, dilations: undefined, filterShape: c.filter };
      const expected = await runKernel('cpu', 'Conv2DBackpropFilter', inputs, attrs);
      const actual = await runKernel('wasm', 'Conv2DBackpropFilter', inputs, attrs);
      expect(relativeError(actual, expected), `case ${i}: ${JSON.stringify(c)}`).toBeLessThan(TOLERANCE);
    }
  });

  it('Conv2DBackpropInput matches the CPU backend on 40 random shapes', async () => {
    const random = new SeededRandom(12);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(random, false);
      const dyShape = outShape(c);
      const dy = random.floats(size(dyShape));
      const w = random.floats(size(c.filter));
      const attrs = { ...c.attrs, dilations: undefined, inputShape: c.input };
      const inputs: Record<string, [Float32Array, number[]]> = { dy: [dy, dyShape], filter: [w, c.filter] };
      const expected = await runKernel('cpu', 'Conv2DBackpropInput', inputs, attrs);
      const actual = await runKernel('wasm', 'Conv2DBackpropInput', inputs, attrs);
      expect(relativeError(actual, expected), `case ${i}: ${JSON.stringify(c)}`).toBeLessThan(TOLERANCE);
    }
  });

  it('both convolution gradients handle dilations (checked against float64 loops)', async () => {
    const random = new SeededRandom(13);
    for (let i = 0; i < 20; i++) {
      const c = randomCase(random, true);
      const dyShape = outShape(c);
      const x = random.floats(size(c.input));
      const dy = random.floats(size(dyShape));
      const w = random.floats(size(c.filter));
      const filterGrad = await runKernel(
        'wasm',
        'Conv2DBackpropFilter',
        { x: [x, c.input], dy: [dy, dyShape] },
        { ...c.attrs, filterShape: c.filter },
      );
      const inputGrad = await runKernel(
        'wasm',
        'Conv2DBackpropInput',
        { dy: [dy, dyShape], filter: [w, c.filter] },
        { ...c.attrs, inputShape: c.input },
      );
      const label = `case ${i}: ${JSON.stringify(c)}`;
      expect(
        relativeError(filterGrad, referenceFilterGrad(x, c.input, dy, c.filter, c.attrs)),
        label,
      ).toBeLessThan(TOLERANCE);
      expect(
        relativeError(inputGrad, referenceInputGrad(dy, w, c.input, c.filter, c.attrs)),
        label,
      ).toBeLessThan(TOLERANCE);
    }
  });

  it('the depthwise gradients match the CPU backend, and float64 loops where dilated', async () => {
    const random = new SeededRandom(14);
    for (let i = 0; i < 30; i++) {
      const dilated = i % 3 === 2;
      const c = randomCase(random, dilated, true);
      const filterShape: [number, number, number, number] = [
        c.filter[0],
        c.filter[1],
        c.input[3],
        c.filter[3],
      ];
      const dc = { ...c, filter: filterShape };
      const dyShape = outShape(dc, true);
      const x = random.floats(size(c.input));
      const dy = random.floats(size(dyShape));
      const w = random.floats(size(filterShape));
      const label = `case ${i}: ${JSON.stringify(dc)}`;
      const filterInputs: Record<string, [Float32Array, number[]]> = { x: [x, c.input], dy: [dy, dyShape] };
      const filterAttrs = { ...c.attrs, filterShape };
      const inputInputs: Record<string, [Float32Array, number[]]> = {
        dy: [dy, dyShape],
        filter: [w, filterShape],
      };
      const inputAttrs = { ...c.attrs, inputShape: c.input };
      const filterGrad = await runKernel(
        'wasm',
        'DepthwiseConv2dNativeBackpropFilter',
        filterInputs,
        filterAttrs,
      );
      const inputGrad = await runKernel(
        'wasm',
        'DepthwiseConv2dNativeBackpropInput',
        inputInputs,
        inputAttrs,
      );
      const expected = dilated
        ? referenceDepthwiseGrads(x, dy, w, c.input, filterShape, c.attrs)
        : {
            filter: await runKernel('cpu', 'DepthwiseConv2dNativeBackpropFilter', filterInputs, filterAttrs),
            input: await runKernel('cpu', 'DepthwiseConv2dNativeBackpropInput', inputInputs, inputAttrs),
          };
      expect(relativeError(filterGrad, expected.filter), label).toBeLessThan(TOLERANCE);
      expect(relativeError(inputGrad, expected.input), label).toBeLessThan(TOLERANCE);
    }
  });

  it('gradients of a whole convolution through tf.grad agree with the CPU backend', async () => {
    const random = new SeededRandom(15);
    const x = random.floats(2 * 17 * 15 * 3);
    const w = random.floats(3 * 3 * 3 * 8);
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const xt = tf.tensor4d(x, [2, 17, 15, 3]);
        const wt = tf.tensor4d(w, [3, 3, 3, 8]);
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))),
        )([xt, wt]);
        return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
      });
    };
    const [cx, cw] = await grads('cpu');
    const [wx, ww] = await grads('wasm');
    expect(relativeError(wx!, cx!)).toBeLessThan(TOLERANCE);
    expect(relativeError(ww!, cw!)).toBeLessThan(TOLERANCE);
  });

  it('the im2col filter gradient gives the same result when it works in chunks of images', async () => {
    const random = new SeededRandom(16);
    const x = random.floats(5 * 13 * 11 * 3);
    const dy = random.floats(5 * 13 * 11 * 4);
    const inputs: Record<string, [Float32Array, number[]]> = {
      x: [x, [5, 13, 11, 3]],
      dy: [dy, [5, 13, 11, 4]],
    };
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] };
    const whole = await runKernel('wasm', 'Conv2DBackpropFilter', inputs, attrs);
    const saved = im2colLimits.chunkFloats;
    im2colLimits.chunkFloats = 27 * 13 * 11 * 2; // two images per chunk: chunks of 2, 2 and 1
    try {
      expect(
        relativeError(await runKernel('wasm', 'Conv2DBackpropFilter', inputs, attrs), whole),
      ).toBeLessThan(TOLERANCE);
    } finally {
      im2colLimits.chunkFloats = saved;
    }
  });

  it('relu(conv + bias) as one op has the gradients of the three ops it replaces, on wasm and cpu', async () => {
    const random = new SeededRandom(17);
    const x = random.floats(2 * 9 * 9 * 3);
    const w = random.floats(3 * 3 * 3 * 5);
    const b = random.floats(5);
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const [fused, plain] = tf.tidy(() => {
        const args = [tf.tensor4d(x, [2, 9, 9, 3]), tf.tensor4d(w, [3, 3, 3, 5]), tf.tensor1d(b)];
        const weight = tf.randomNormal([2, 9, 9, 5], 0, 1, 'float32', 1);
        const loss =
          (f: (a: tf.Tensor4D, c: tf.Tensor4D, d: tf.Tensor1D) => tf.Tensor) =>
          (...t: tf.Tensor[]) =>
            tf.sum(tf.mul(f(t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, t[2] as tf.Tensor1D), weight));
        const ours = tf.grads(loss((a, c, d) => conv2dBiasRelu(a, c, d, { strides: 1, pad: 'same' })))(args);
        const theirs = tf.grads(loss((a, c, d) => tf.relu(tf.add(tf.conv2d(a, c, 1, 'same'), d))))(args);
        return [ours.map((g) => g.dataSync()), theirs.map((g) => g.dataSync())];
      });
      for (let i = 0; i < 3; i++)
        expect(relativeError(fused[i]!, plain[i]!), `${backend} input ${i}`).toBeLessThan(TOLERANCE);
    }
  });

  it('frees every intermediate tensor it makes', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const backendBefore = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    tf.tidy(() => {
      const x = tf.randomNormal([2, 9, 9, 3]) as tf.Tensor4D;
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')),
      )([x, tf.randomNormal([3, 3, 3, 4])]);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(backendBefore);
  });
});
