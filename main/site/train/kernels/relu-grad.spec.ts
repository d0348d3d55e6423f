// The gradient through a ReLU as one WebAssembly kernel (relu-grad.ts) against tfjs's composition it
// replaces, dy · step(y): outputs of exactly zero (the ReLU's own), both signs of dy, lengths in fours
// and not (the last values by JavaScript), with the SIMD loop and without it.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { RELU_GRAD, reluGradient } from './relu-grad.ts';
import { registerTrainingKernels } from './index.ts';

describe('ReLU gradient on WebAssembly', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
    registerTrainingKernels('wasm');
  });
  afterEach(() => {
    delete process.env.RADFED_WASM_SIMD_KERNELS;
    delete process.env.RADFED_WASM_RELU_GRAD;
  });

  for (const simd of [true, false]) {
    it(`passes dy where the output is positive and 0 elsewhere, as dy · step(y)${simd ? '' : ' (JavaScript loop)'}`, () => {
      if (!simd) process.env.RADFED_WASM_SIMD_KERNELS = '0';
      const random = new SeededRandom(3);
      let stopped = 0;
      for (const shape of [
        [2, 5, 5, 16],
        [1, 3, 3, 3], // 27 values: 3 after the last whole vector
        [4, 1, 1, 1],
        [1, 7],
      ]) {
        const count = shape.reduce((p, s) => p * s, 1);
        // A third of the outputs exactly zero, as a ReLU's are.
        const y = Float32Array.from({ length: count }, () => Math.max(0, random.next() * 3 - 1));
        const dy = Float32Array.from({ length: count }, () => random.next() * 2 - 1);
        const [ours, composed] = tf.tidy(() => {
          const [dyT, yT] = [tf.tensor(dy, shape), tf.tensor(y, shape)];
          const viaKernel = tf.engine().runKernel(RELU_GRAD, { dy: dyT, y: yT }) as tf.Tensor;
          return [viaKernel.dataSync(), tf.mul(dyT, tf.step(yT)).dataSync()];
        });
        expect(Array.from(ours)).toEqual(Array.from(composed).map((v) => v + 0)); // -0 from 0 · (−dy) is 0
        stopped += ours.filter((v, i) => v === 0 && dy[i] !== 0).length;
      }
      expect(stopped).toBeGreaterThan(20);
    });
  }

  it('reluGradient runs the kernel on WebAssembly, and step · mul where switched off', () => {
    const shape = [2, 4, 4, 8];
    const dy = tf.randomNormal(shape);
    const y = tf.relu(tf.randomNormal(shape));
    const before = tf.memory().numTensors;
    const on = reluGradient(dy, y);
    expect(tf.memory().numTensors - before).toBe(1); // one kernel, no step tensor left between
    process.env.RADFED_WASM_RELU_GRAD = '0';
    const off = tf.tidy(() => reluGradient(dy, y));
    expect(Array.from(on.dataSync())).toEqual(Array.from(off.dataSync()).map((v) => v + 0));
    tf.dispose([dy, y, on, off]);
  });

  it('tf.relu’s gradient runs the kernel too, and equals tfjs’s dy · step(x)', async () => {
    const x = tf.randomNormal([2, 6, 6, 12], 0, 1, 'float32', 5);
    const dy = tf.randomNormal([2, 6, 6, 12], 0, 1, 'float32', 6);
    let gradients: tf.Tensor[] = [];
    const profile = await tf.profile(() => {
      const { value, grads } = tf.valueAndGrads((input: tf.Tensor) => tf.relu(input))([x], dy);
      value.dispose();
      gradients = grads;
    });
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels).toContain(RELU_GRAD);
    expect(kernels).not.toContain('Step');
    const grads = gradients;
    const expected = tf.tidy(() => tf.mul(dy, tf.step(x)).dataSync());
    expect(Array.from(grads[0]!.dataSync())).toEqual(Array.from(expected).map((v) => v + 0));
    tf.dispose([x, dy, ...grads]);
  });
});
