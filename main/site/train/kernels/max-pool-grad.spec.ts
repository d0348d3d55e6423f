// MaxPoolGrad for general windows in WebAssembly SIMD (max-pool-grad-simd.ts) against the CPU backend
// and the JavaScript loop it replaces: ResNet's 3×3, stride-2 pool with a padding of 1, 'same' and
// 'valid', overlapping stride-1 windows, odd sizes, and windows of tied values after ReLU (the first
// largest input must win).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { registerTrainingKernels } from './index.ts';
import { maxPoolGradSimdFor } from './max-pool-grad-simd.ts';
import { backendMemory } from './simd-kernels.ts';

type Pad = 'same' | 'valid' | number;

/** MaxPoolGrad of tf.maxPool(x, size, stride, pad) for dy, on the current backend. */
function poolGrad(
  x: Float32Array,
  shape: number[],
  dy: Float32Array,
  size: number,
  stride: number,
  pad: Pad,
) {
  return tf.tidy(() => {
    const input = tf.tensor4d(x, shape as [number, number, number, number]);
    const output = tf.maxPool(input, size, stride, pad);
    const gradient = tf.tensor(dy, output.shape);
    const attrs = { filterSize: size, strides: stride, pad, dimRoundingMode: undefined };
    return (
      tf.engine().runKernel('MaxPoolGrad', { dy: gradient, input, output }, attrs as never) as tf.Tensor
    ).dataSync() as Float32Array;
  });
}

describe('MaxPoolGrad for any window in WebAssembly SIMD', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
    registerTrainingKernels('wasm');
  });
  afterEach(() => {
    delete process.env.RADFED_WASM_SIMD_KERNELS;
  });

  it('assembles and binds to the wasm backend memory', () => {
    expect(maxPoolGradSimdFor(backendMemory(tf.backend()))).not.toBeNull();
  });

  it.each([
    [[2, 14, 14, 8], 3, 2, 1], // ResNet-18's stem pool
    [[1, 9, 11, 4], 3, 2, 'same'],
    [[2, 6, 6, 12], 3, 1, 'same'], // every input in up to nine windows
    [[1, 7, 9, 4], 2, 1, 'valid'],
    [[2, 11, 9, 16], 3, 2, 'valid'],
    [[3, 7, 7, 4], 2, 2, 'valid'], // a 2×2 pool on an odd size: not the 2×2 kernel
  ] as const)(
    'equals the CPU backend and the JavaScript loop on %j, %i×%i windows, pad %s',
    async (shape, size, stride, pad) => {
      const random = new SeededRandom(31);
      const count = shape.reduce((p: number, s: number) => p * s, 1);
      // After ReLU and rounded: whole windows tie at 0 and elsewhere.
      const x = Float32Array.from({ length: count }, () => Math.max(0, Math.round(random.next() * 4 - 2)));
      const outputs = tf.tidy(
        () =>
          tf.maxPool(tf.tensor4d(x, [...shape] as [number, number, number, number]), size, stride, pad).size,
      );
      const dy = Float32Array.from({ length: outputs }, () => random.next() + 0.5);
      const simd = poolGrad(x, [...shape], dy, size, stride, pad);
      process.env.RADFED_WASM_SIMD_KERNELS = '0';
      const loop = poolGrad(x, [...shape], dy, size, stride, pad);
      await tf.setBackend('cpu');
      const cpu = poolGrad(x, [...shape], dy, size, stride, pad);
      await tf.setBackend('wasm');
      // Overlapping windows add in another order: equal to float32 rounding.
      for (const [name, expected] of [
        ['CPU backend', cpu],
        ['JavaScript loop', loop],
      ] as const) {
        const gap = Math.max(...simd.map((v, i) => Math.abs(v - expected[i]!)));
        expect(gap, name).toBeLessThan(1e-5);
      }
      expect(simd.filter((v) => v !== 0).length).toBeGreaterThan(0);
    },
  );
});
