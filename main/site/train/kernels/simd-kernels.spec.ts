// The WebAssembly SIMD loops (simd-kernels.ts) against the CPU backend and against our JavaScript
// loops they replace: MaxPoolGrad after ReLU (windows of equal zeros: the first input must win) and
// the filter gradient's im2col rows (stride-1 and strided widths, every padding, chunks of images).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { im2colLimits } from './index.ts';
import { relativeError } from './reference-convolution.ts';
import { backendMemory, simdKernelsFor } from './simd-kernels.ts';

async function run(backend: string, kernel: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => kernel().dataSync() as Float32Array);
}

/** Values after ReLU, rounded so that whole pooling windows tie (at 0 and elsewhere). */
function reluValues(random: SeededRandom, count: number): Float32Array {
  return Float32Array.from({ length: count }, () => Math.max(0, Math.round(random.next() * 4 - 2)));
}

async function onBoth(kernel: () => tf.Tensor): Promise<{ wasm: Float32Array; cpu: Float32Array }> {
  await tf.setBackend('wasm');
  const wasm = tf.tidy(() => kernel().dataSync() as Float32Array);
  await tf.setBackend('cpu');
  const cpu = tf.tidy(() => kernel().dataSync() as Float32Array);
  await tf.setBackend('wasm');
  return { wasm, cpu };
}

describe('WebAssembly SIMD kernels', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
  });
  afterEach(() => {
    delete process.env.RADFED_WASM_SIMD_KERNELS;
    im2colLimits.chunkFloats = 8 * 1024 * 1024;
  });

  it('assemble and bind to the wasm backend memory', () => {
    expect(simdKernelsFor(backendMemory(tf.backend()))).not.toBeNull();
  });

  it('MaxPoolGrad after ReLU gives each window gradient to its first largest input, as the CPU backend', async () => {
    const random = new SeededRandom(7);
    for (const [n, size, channels] of [
      [2, 8, 4],
      [3, 6, 16],
      [1, 4, 12],
      [2, 6, 3], // channels not in fours: the JavaScript loop
      [2, 7, 8], // odd size: the general loop
    ] as const) {
      const x = reluValues(random, n * size * size * channels);
      const out = Math.floor(size / 2);
      const dy = Float32Array.from({ length: n * out * out * channels }, () => random.next() + 0.5);
      const kernel = () =>
        tf.engine().runKernel(
          'MaxPoolGrad',
          {
            dy: tf.tensor4d(dy, [n, out, out, channels]),
            input: tf.tensor4d(x, [n, size, size, channels]),
          },
          { filterSize: 2, strides: 2, pad: 'valid' } as never,
        ) as tf.Tensor;
      const { wasm, cpu } = await onBoth(kernel);
      expect([...wasm], `${n}×${size}×${size}×${channels}`).toEqual([...cpu]);
      process.env.RADFED_WASM_SIMD_KERNELS = '0';
      expect([...(await run('wasm', kernel))]).toEqual([...wasm]);
      delete process.env.RADFED_WASM_SIMD_KERNELS;
    }
  });

  it('the filter gradient through SIMD im2col rows matches the CPU backend and the JavaScript rows', async () => {
    const random = new SeededRandom(11);
    type Shape = [number, number, number, number];
    const cases: [Shape, Shape, object][] = [
      [[3, 9, 7, 1], [3, 3, 1, 4], { strides: 1, pad: 'same' }],
      [[2, 8, 8, 5], [3, 3, 5, 6], { strides: [2, 1], pad: 'valid' }],
      [
        [2, 6, 9, 4],
        [2, 4, 4, 3],
        {
          strides: 1,
          pad: [
            [0, 0],
            [2, 1],
            [0, 3],
            [0, 0],
          ],
        },
      ],
      [[4, 5, 5, 2], [5, 5, 2, 2], { strides: 1, pad: 'same', dilations: [1, 2] }],
      // Strided widths: value by value (ResNet's 3×3/2, its stem's 7×7/2 with a padding of 3, 1×1/2).
      [[2, 11, 10, 3], [3, 3, 3, 4], { strides: 2, pad: 'same' }],
      [
        [2, 12, 13, 1],
        [7, 7, 1, 8],
        {
          strides: 2,
          pad: [
            [0, 0],
            [3, 3],
            [3, 3],
            [0, 0],
          ],
        },
      ],
      [[3, 8, 9, 4], [1, 1, 4, 8], { strides: [1, 2], pad: 'valid' }],
    ];
    for (const chunkFloats of [8 * 1024 * 1024, 64]) {
      im2colLimits.chunkFloats = chunkFloats;
      for (const [input, filter, attrs] of cases) {
        const xs = Float32Array.from({ length: input.reduce((p, s) => p * s) }, () => random.next() - 0.5);
        const full = { ...attrs, dataFormat: 'NHWC', filterShape: filter };
        const dyShape = tf.tidy(() => {
          const f = tf.zeros(filter) as tf.Tensor4D;
          const x = tf.zeros(input) as tf.Tensor4D;
          const a = attrs as { strides: 1; pad: 'same'; dilations?: [number, number] };
          return tf.conv2d(x, f, a.strides, a.pad, 'NHWC', a.dilations ?? 1).shape;
        });
        const dys = Float32Array.from({ length: dyShape.reduce((p, s) => p * s) }, () => random.next() - 0.5);
        const kernel = () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: tf.tensor(xs, input), dy: tf.tensor(dys, dyShape) },
              full as never,
            ) as tf.Tensor;
        const { wasm, cpu } = await onBoth(kernel);
        // The CPU backend's gradient ignores dilations (wasm-kernels.spec.ts checks those against float64).
        if (!('dilations' in attrs))
          expect(relativeError(wasm, cpu), JSON.stringify(full)).toBeLessThan(1e-4);
        process.env.RADFED_WASM_SIMD_KERNELS = '0';
        expect(relativeError(await run('wasm', kernel), wasm)).toBeLessThan(1e-6);
        delete process.env.RADFED_WASM_SIMD_KERNELS;
      }
    }
  });
});
