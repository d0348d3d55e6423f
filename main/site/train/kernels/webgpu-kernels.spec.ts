// WebGPU's filter gradients. The composed matrix product is the same composition of stock kernels on
// every backend, so it is checked here on the CPU backend; the WGSL split-K shader needs a GPU and is
// skipped, by name, where WebGPU has no adapter (bench/gpu/run.sh runs it on a GPU machine).
import { describe, expect, it } from 'vitest';
import { probeDawn, selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { forwardGeometry, type ConvGradAttrs } from './conv-geometry.ts';
import { filterGradByMatMul, filterGradKernel, registerTrainingKernels, splitCount } from './index.ts';
import { relativeError } from './reference-convolution.ts';

const dawn = await probeDawn();

function randomCases(seed: number, n: number) {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => {
    const kh = random.int(1, 4);
    const kw = random.int(1, 4);
    const attrs: ConvGradAttrs = {
      strides: [random.int(1, 3), random.int(1, 3)],
      pad: random.pick(['same', 'valid'] as const),
      dataFormat: 'NHWC',
    };
    const input: [number, number, number, number] = [
      random.int(1, 3),
      random.int(kh, kh + 9),
      random.int(kw, kw + 9),
      random.int(1, 5),
    ];
    const filter: [number, number, number, number] = [kh, kw, input[3], random.int(1, 6)];
    const dyShape = forwardGeometry(input, filter, attrs).outShape;
    return {
      input,
      filter,
      attrs,
      dyShape,
      x: random.floats(input.reduce((p, s) => p * s, 1)),
      dy: random.floats(dyShape.reduce((p, s) => p * s, 1)),
    };
  });
}

// Read back asynchronously: WebGPU in Node has no synchronous read (it would need an OffscreenCanvas).
async function filterGrad(kernel: string, c: ReturnType<typeof randomCases>[number]): Promise<Float32Array> {
  const result = tf.tidy(
    () =>
      tf.engine().runKernel(kernel, { x: tf.tensor(c.x, c.input), dy: tf.tensor(c.dy, c.dyShape) }, {
        ...c.attrs,
        filterShape: c.filter,
      } as never) as tf.Tensor,
  );
  const values = (await result.data()) as Float32Array;
  result.dispose();
  return values;
}

describe('WebGPU filter gradients', () => {
  it('the matrix-product composition (pad, one slice per kernel offset, one matMul) matches the CPU kernel', async () => {
    await selectBackend({ choice: 'cpu' });
    tf.registerKernel({
      kernelName: 'TestFilterGradByMatMul',
      backendName: 'cpu',
      kernelFunc: filterGradKernel('cpu', filterGradByMatMul) as never,
    });
    for (const [i, c] of randomCases(21, 30).entries()) {
      expect(
        relativeError(
          await filterGrad('TestFilterGradByMatMul', c),
          await filterGrad('Conv2DBackpropFilter', c),
        ),
        `case ${i}`,
      ).toBeLessThan(1e-4);
    }
    tf.unregisterKernel('TestFilterGradByMatMul', 'cpu');
  });

  it('splits the reduction so that a tiny first-layer filter still fills a large GPU', () => {
    // First layer, S=128, batch 32: 9 × 16 outputs, 524 288 products each.
    expect(splitCount(9, 16, 32 * 128 * 128)).toBe(1024);
    // A large layer already has 36 × 8 tiles of 16 × 16: a few chunks each are enough.
    expect(splitCount(9 * 64, 128, 32 * 16 * 16)).toBe(8);
    expect(splitCount(10, 10, 100)).toBe(1);
  });

  it.skipIf(!dawn.ok)(
    'matmul and split-K filter gradients match the CPU backend (needs a WebGPU adapter)',
    async () => {
      await selectBackend({ choice: 'webgpu' });
      for (const variant of ['matmul', 'splitk'] as const) {
        for (const [i, c] of randomCases(22, 12).entries()) {
          await tf.setBackend('cpu');
          const expected = await filterGrad('Conv2DBackpropFilter', c);
          await tf.setBackend('webgpu');
          registerTrainingKernels('webgpu', variant);
          expect(
            relativeError(await filterGrad('Conv2DBackpropFilter', c), expected),
            `${variant} case ${i}`,
          ).toBeLessThan(1e-4);
        }
      }
    },
  );
});
