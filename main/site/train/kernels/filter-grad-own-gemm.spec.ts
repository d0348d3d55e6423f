// The wasm filter gradient through our SIMD product (own-gemm.ts), on the backend's threads once its
// workers are up, against the CPU backend: output channels in fours (the product's condition),
// strides, padding, chunks of images, and the bias row of the fused filter-and-bias gradient.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { im2colLimits } from './index.ts';
import { ownGemmFor } from './own-gemm.ts';
import { relativeError } from './reference-convolution.ts';

async function filterGrad(
  backend: string,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: object,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const inputs = { x: tf.tensor(x.dataSync(), x.shape), dy: tf.tensor(dy.dataSync(), dy.shape) };
    return (
      tf.engine().runKernel('Conv2DBackpropFilter', inputs, attrs as never) as tf.Tensor
    ).dataSync() as Float32Array;
  });
}

describe('filter gradient through our SIMD product', () => {
  let threads = 1;
  beforeAll(async () => {
    threads = (await selectBackend({ choice: 'wasm' })).threads ?? 1;
  });
  afterEach(() => {
    delete process.env.RADFED_WASM_GEMM;
    im2colLimits.chunkFloats = 8 * 1024 * 1024;
  });

  it('is used on this backend, on as many threads as the backend has', async () => {
    const gemm = ownGemmFor(tf.backend());
    expect(gemm).not.toBeNull();
    expect(await gemm!.ready()).toBe(threads);
  });

  it('matches the CPU backend (to 1e-4) in one product and in chunks of images', async () => {
    const random = new SeededRandom(11);
    const cases: {
      input: [number, number, number, number];
      filter: [number, number, number, number];
      strides: number | [number, number];
      pad: 'same' | 'valid';
    }[] = [
      { input: [32, 16, 16, 16], filter: [3, 3, 16, 32], strides: 1, pad: 'same' },
      { input: [5, 9, 7, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'valid' },
      { input: [3, 11, 10, 4], filter: [2, 3, 4, 12], strides: [2, 1], pad: 'same' },
      { input: [4, 8, 8, 1], filter: [3, 3, 1, 4], strides: 2, pad: 'same' },
    ];
    for (const chunked of [false, true]) {
      for (const c of cases) {
        const [n, h, w, ch] = c.input;
        const x = tf.randomNormal([n, h, w, ch], 0, 1, 'float32', random.int(0, 1e6)) as tf.Tensor4D;
        const attrs = {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
          filterShape: c.filter,
        };
        const outShape = tf.conv2d(x, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape;
        const dy = tf.randomNormal(outShape, 0, 1, 'float32', random.int(0, 1e6)) as tf.Tensor4D;
        // Chunks of two images: a partial last chunk where n is odd.
        im2colLimits.chunkFloats = chunked
          ? (c.filter[0] * c.filter[1] * ch + 1) * outShape[1]! * outShape[2]! * 2
          : 8 * 1024 * 1024;
        const expected = await filterGrad('cpu', x, dy, attrs);
        const actual = await filterGrad('wasm', x, dy, attrs);
        expect(
          relativeError(actual, expected),
          `${c.input} * ${c.filter}${chunked ? ', chunks' : ''}`,
        ).toBeLessThan(1e-4);
        tf.dispose([x, dy]);
      }
    }
  });
});
