// The filter and bias gradient on the grid (filter-grad-grid.ts) against the CPU backend and against
// the im2col path it replaces: every padding a stride-1 convolution has ('same' with even and odd
// filters, so pads of 0 and 1 on either side; 'valid'; 1×1), channel counts that leave partial tiles of
// rows (1, 3, 5) and one vector of columns (4, 12), odd batches and non-square images, and the
// reference CNN's real shapes at batch 32. Also where it must step aside (strides, dilations, maps
// small enough that the gaps cost more than im2col).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { forwardGeometry } from './conv-geometry.ts';
import { filterGradGrid, filterGradOnGrid } from './filter-grad-grid.ts';
import { FILTER_BIAS_GRAD, registerTrainingKernels } from './index.ts';
import { KernelScope } from './kernel-scope.ts';
import { ownGemmFor } from './own-gemm.ts';
import { relativeError } from './reference-convolution.ts';

interface Case {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  pad: 'same' | 'valid';
}

const attrsOf = (c: Case) => ({ strides: 1, pad: c.pad, dataFormat: 'NHWC' as const, filterShape: c.filter });

/** [dW, dB] on the grid, called directly (null where it stepped aside). */
function onGrid(x: tf.Tensor4D, dy: tf.Tensor4D, c: Case): [Float32Array, Float32Array] | null {
  const scope = new KernelScope(tf.backend(), 'wasm');
  try {
    const out = filterGradOnGrid(scope, x, dy, attrsOf(c), true);
    return out ? [scope.read(out[0]!).slice(), scope.read(out[1]!).slice()] : null;
  } finally {
    scope.dispose();
  }
}

/** [dW, dB] through the registered fused kernel (the grid unless switched off). */
function viaKernel(x: tf.Tensor4D, dy: tf.Tensor4D, c: Case): [Float32Array, Float32Array] {
  const [dW, dB] = tf.engine().runKernel(FILTER_BIAS_GRAD, { x, dy }, attrsOf(c) as never) as tf.Tensor[];
  const values: [Float32Array, Float32Array] = [
    dW!.dataSync() as Float32Array,
    dB!.dataSync() as Float32Array,
  ];
  tf.dispose([dW!, dB!]);
  return values;
}

function inputs(c: Case, seed: number): { x: tf.Tensor4D; dy: tf.Tensor4D } {
  const x = tf.relu(tf.randomNormal(c.input, 0, 1, 'float32', seed)) as tf.Tensor4D;
  const shape = tf.tidy(() => tf.conv2d(x, tf.zeros(c.filter) as tf.Tensor4D, 1, c.pad).shape);
  return { x, dy: tf.randomNormal(shape, 0, 1, 'float32', seed + 1) as tf.Tensor4D };
}

describe('filter gradient on the grid (no im2col)', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
    registerTrainingKernels('wasm');
    await ownGemmFor(tf.backend())?.ready();
    // 3×3 'same' gradients go by Winograd's algorithm first (winograd.ts): the grid is what runs
    // without it, and for every other stride-1 filter.
    process.env.RADFED_WASM_WINOGRAD = '0';
  });
  afterAll(() => {
    delete process.env.RADFED_WASM_WINOGRAD;
  });
  afterEach(() => {
    delete process.env.RADFED_WASM_GRID_FILTER_GRAD;
  });

  it('lays rows out with gaps as wide as the padding, and steps aside for strides and dilations', () => {
    const info = (shape: number[], filter: number[], strides: number, pad: 'same' | 'valid', dilations = 1) =>
      forwardGeometry(shape, filter, { strides, pad, dataFormat: 'NHWC', dilations });
    expect(filterGradGrid(info([2, 8, 8, 4], [3, 3, 4, 8], 1, 'same'))).toEqual({
      rowPitch: 9,
      imagePitch: 81,
      margin: 10,
      positions: 81 + 7 * 9 + 8,
    });
    expect(filterGradGrid(info([1, 8, 6, 4], [3, 3, 4, 8], 1, 'valid'))?.rowPitch).toBe(6);
    expect(filterGradGrid(info([2, 8, 8, 4], [3, 3, 4, 8], 2, 'same'))).toBeNull();
    expect(filterGradGrid(info([2, 8, 8, 4], [3, 3, 4, 8], 1, 'same', 2))).toBeNull();
  });

  it('equals the CPU backend (to 1e-4) and im2col (to 1e-5) for every stride-1 padding and partial tile', async () => {
    const cases: Case[] = [
      { input: [3, 12, 12, 1], filter: [3, 3, 1, 8], pad: 'same' },
      { input: [2, 10, 14, 3], filter: [3, 3, 3, 12], pad: 'same' },
      { input: [3, 30, 28, 5], filter: [3, 3, 5, 8], pad: 'valid' },
      { input: [2, 12, 12, 4], filter: [2, 2, 4, 4], pad: 'same' }, // pads 0 before, 1 after
      { input: [2, 13, 11, 6], filter: [5, 3, 6, 20], pad: 'same' },
      { input: [1, 9, 9, 16], filter: [1, 1, 16, 12], pad: 'same' },
      { input: [2, 40, 40, 16], filter: [4, 4, 16, 8], pad: 'valid' },
    ];
    for (const [i, c] of cases.entries()) {
      const { x, dy } = inputs(c, 100 + 2 * i);
      const grid = onGrid(x, dy, c);
      expect(grid, `${c.input} * ${c.filter} ${c.pad}: on the grid`).not.toBeNull();
      process.env.RADFED_WASM_GRID_FILTER_GRAD = '0';
      const [im2colW, im2colB] = viaKernel(x, dy, c);
      delete process.env.RADFED_WASM_GRID_FILTER_GRAD;
      const [cpuX, cpuDy] = [x.dataSync(), dy.dataSync()];
      await tf.setBackend('cpu');
      const [expectedW, expectedB] = tf.tidy(() => {
        const [xc, dyc] = [tf.tensor4d(cpuX, c.input), tf.tensor4d(cpuDy, dy.shape)];
        const dW = tf.engine().runKernel('Conv2DBackpropFilter', { x: xc, dy: dyc }, attrsOf(c) as never);
        return [(dW as tf.Tensor).dataSync(), tf.sum(dyc, [0, 1, 2]).dataSync()];
      });
      await tf.setBackend('wasm');
      const label = `${c.input} * ${c.filter} ${c.pad}`;
      expect(relativeError(grid![0], expectedW), `${label}: dW against the CPU backend`).toBeLessThan(1e-4);
      expect(relativeError(grid![1], expectedB), `${label}: dB against the CPU backend`).toBeLessThan(1e-4);
      expect(relativeError(grid![0], im2colW), `${label}: dW against im2col`).toBeLessThan(1e-5);
      expect(relativeError(grid![1], im2colB), `${label}: dB against im2col`).toBeLessThan(1e-5);
      tf.dispose([x, dy]);
    }
  });

  it('equals im2col (to 1e-5) on the reference CNN’s shapes at batch 32, and is what the kernel runs', () => {
    const cases: Case[] = [
      { input: [32, 32, 32, 16], filter: [3, 3, 16, 32], pad: 'same' },
      { input: [32, 16, 16, 32], filter: [3, 3, 32, 64], pad: 'same' },
    ];
    for (const [i, c] of cases.entries()) {
      const { x, dy } = inputs(c, 200 + 2 * i);
      const grid = onGrid(x, dy, c);
      const [kernelW, kernelB] = viaKernel(x, dy, c);
      process.env.RADFED_WASM_GRID_FILTER_GRAD = '0';
      const [im2colW, im2colB] = viaKernel(x, dy, c);
      delete process.env.RADFED_WASM_GRID_FILTER_GRAD;
      const label = `${c.input} * ${c.filter}`;
      expect(relativeError(grid![0], im2colW), `${label}: dW`).toBeLessThan(1e-5);
      expect(relativeError(grid![1], im2colB), `${label}: dB`).toBeLessThan(1e-5);
      expect(Array.from(kernelW), `${label}: the kernel's dW is the grid's`).toEqual(Array.from(grid![0]));
      expect(Array.from(kernelB), `${label}: the kernel's dB is the grid's`).toEqual(Array.from(grid![1]));
      tf.dispose([x, dy]);
    }
  });

  it('leaves small maps (8×8: 27% more positions), first layers, output channels not in fours and switched off to im2col', () => {
    const steppedAside: Case[] = [
      { input: [32, 8, 8, 64], filter: [3, 3, 64, 128], pad: 'same' },
      { input: [2, 8, 8, 4], filter: [3, 3, 4, 6], pad: 'same' },
      { input: [5, 9, 7, 4], filter: [3, 3, 4, 8], pad: 'valid' }, // 7×5 outputs on a 9×7 grid
      { input: [32, 64, 64, 1], filter: [3, 3, 1, 16], pad: 'same' }, // dy wider than im2col's rows
    ];
    for (const c of steppedAside) {
      const { x, dy } = inputs(c, 300);
      expect(onGrid(x, dy, c), `${c.input} * ${c.filter}`).toBeNull();
      tf.dispose([x, dy]);
    }
    process.env.RADFED_WASM_GRID_FILTER_GRAD = '0';
    const c: Case = { input: [2, 12, 12, 4], filter: [3, 3, 4, 8], pad: 'same' };
    const { x, dy } = inputs(c, 400);
    expect(onGrid(x, dy, c), 'switched off').toBeNull();
    tf.dispose([x, dy]);
  });
});
