// Winograd's F(2×2, 3×3) on WebAssembly (winograd.ts) against a float64 direct convolution: with and
// without bias and ReLU, the filter turned (the input gradient's form), blocks that end mid-image and
// a last block of fewer tiles than the product's rows, on both of the backend's threads; and the
// shapes it must leave to XNNPACK.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { createModel } from '../models/index.ts';
import { conv2dBiasRelu } from './conv-bias-relu.ts';
import { registerTrainingKernels } from './index.ts';
import { KernelScope } from './kernel-scope.ts';
import { ownGemmFor } from './own-gemm.ts';
import { referenceFilterGrad } from './reference-convolution.ts';
import { blockTiles, winogradApplies, winogradConvolution } from './winograd.ts';
import { winogradFilterGrad } from './winograd-filter-grad.ts';

/** conv2d(x, w, stride 1, 'same') in float64, w [3, 3, C, F]; `flip` reads w turned by 180°. */
function direct(x: Float32Array, shape: number[], w: Float32Array, f: number, flip: boolean): Float64Array {
  const [n, h, width, c] = shape as [number, number, number, number];
  const out = new Float64Array(n * h * width * f);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < width; xx++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const [iy, ix] = [y + ky - 1, xx + kx - 1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= width) continue;
            const tap = flip ? 8 - (ky * 3 + kx) : ky * 3 + kx;
            for (let ci = 0; ci < c; ci++) {
              const v = x[((b * h + iy) * width + ix) * c + ci]!;
              for (let fo = 0; fo < f; fo++)
                out[((b * h + y) * width + xx) * f + fo]! += v * w[(tap * c + ci) * f + fo]!;
            }
          }
  return out;
}

function winograd(
  x: Float32Array,
  shape: [number, number, number, number],
  w: Float32Array,
  f: number,
  options: { bias?: Float32Array; relu: boolean; flip: boolean },
): Float32Array | null {
  let result: Float32Array | null = null;
  tf.tidy(() => {
    const [xt, wt] = [tf.tensor4d(x, shape), tf.tensor4d(w, [3, 3, shape[3], f])];
    const bt = options.bias ? tf.tensor1d(options.bias) : undefined;
    const scope = new KernelScope(tf.backend(), 'wasm');
    const y = winogradConvolution(scope, xt, wt, { ...options, bias: bt });
    if (!y) {
      scope.dispose();
      return;
    }
    const out = tf.engine().makeTensorFromTensorInfo(scope.finish(y)) as tf.Tensor;
    expect(out.shape).toEqual([...shape.slice(0, 3), f]);
    result = out.dataSync() as Float32Array;
  });
  return result;
}

const random = new SeededRandom(2026);
const values = (n: number) => Float32Array.from({ length: n }, () => random.next() * 2 - 1);

describe("Winograd's F(2×2, 3×3) on WebAssembly", () => {
  let threads = 1;
  beforeAll(async () => {
    threads = (await selectBackend({ choice: 'wasm' })).threads ?? 1;
    registerTrainingKernels('wasm');
    await ownGemmFor(tf.backend())?.ready();
  });

  it.each([
    // [shape, out channels, bias, relu, flip]
    [[2, 8, 8, 4], 8, true, true, false],
    [[3, 6, 10, 8], 16, false, false, false],
    [[1, 2, 2, 4], 8, true, false, false], // one tile
    [[4, 16, 16, 16], 32, true, true, false], // several blocks, the last one short, on every thread
    [[2, 12, 14, 32], 16, false, false, true], // the input gradient's form
    [[1, 4, 4, 12], 24, false, true, true],
  ] as const)(
    'equals the direct convolution on %j → %i channels (bias %s, ReLU %s, turned %s)',
    (shape, f, bias, relu, flip) => {
      const [n, h, w, c] = shape;
      const x = values(n * h * w * c);
      const filter = values(9 * c * f);
      const b = bias ? values(f) : undefined;
      const got = winograd(x, [...shape], filter, f, { bias: b, relu, flip });
      expect(got, 'Winograd applies to this shape').not.toBeNull();
      const want = direct(x, [...shape], filter, f, flip);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < want.length; i++) {
        let expected = want[i]! + (b ? b[i % f]! : 0);
        if (relu) expected = Math.max(0, expected);
        worst = Math.max(worst, Math.abs(got![i]! - expected));
        scale = Math.max(scale, Math.abs(expected));
      }
      expect(scale).toBeGreaterThan(0.5);
      expect(worst / scale).toBeLessThan(1e-5);
    },
  );

  it('sets filter-gradient values within its rounding of 0 to 0, as the direct sum gives them', () => {
    // The reference CNN at 16 px, batch 4: after ReLU and max-pool some channel pairs never meet, and
    // the direct sum makes their gradient exactly 0; the transforms mix a tile's pixels and leave
    // rounding there (up to ~1.5e-7 of the largest), which Adam would turn into steps.
    const x = tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
    const gradients = () => {
      const model = createModel('reference-cnn', { inputSize: 16, channels: 1, numClasses: 2, seed: 4 });
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.logits(x)) as tf.Scalar,
        model.parameters.map((p) => p.variable),
      );
      const values = model.parameters.map((p) => grads[p.variable.name]!.dataSync() as Float32Array);
      tf.dispose(Object.values(grads));
      model.dispose();
      return values;
    };
    const on = gradients();
    process.env.RADFED_WASM_WINOGRAD_FILTER_GRAD = '0';
    const direct = gradients();
    delete process.env.RADFED_WASM_WINOGRAD_FILTER_GRAD;
    let zeros = 0;
    for (const [i, values] of direct.entries()) {
      for (let k = 0; k < values.length; k++) {
        if (values[k] !== 0) continue;
        zeros++;
        expect(on[i]![k], `parameter ${i}, value ${k}`).toBe(0);
      }
    }
    expect(zeros, 'the direct sum has exact zeros here').toBeGreaterThan(1000);
    tf.dispose([x, y]);
    process.env.RADFED_WASM_WINOGRAD_FILTER_GRAD = '0';
    try {
      const scope = new KernelScope(tf.backend(), 'wasm');
      expect(
        winogradFilterGrad(
          scope,
          tf.zeros([1, 4, 4, 4]),
          tf.zeros([1, 4, 4, 8]),
          { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4, 8] },
          true,
        ),
        'switched off',
      ).toBeNull();
      scope.dispose();
    } finally {
      delete process.env.RADFED_WASM_WINOGRAD_FILTER_GRAD;
    }
  });

  it.each([
    [[2, 8, 8, 4], 8, true],
    [[3, 6, 10, 8], 16, false],
    [[1, 2, 2, 4], 8, true], // one tile
    [[4, 16, 16, 16], 32, true], // several blocks on every thread, their sums added
    [[2, 12, 14, 32], 64, true],
  ] as const)('gives the filter (and bias) gradient of %j → %i channels (bias %s)', (shape, f, withBias) => {
    const [n, h, w, c] = shape;
    const x = values(n * h * w * c);
    const dy = values(n * h * w * f);
    let got: Float32Array[] = [];
    tf.tidy(() => {
      const scope = new KernelScope(tf.backend(), 'wasm');
      const attrs = {
        strides: 1,
        pad: 'same' as const,
        dataFormat: 'NHWC' as const,
        filterShape: [3, 3, c, f] as [number, number, number, number],
      };
      const out = winogradFilterGrad(
        scope,
        tf.tensor4d(x, [...shape]),
        tf.tensor4d(dy, [n, h, w, f]),
        attrs,
        withBias,
      );
      expect(out, 'Winograd applies to this shape').not.toBeNull();
      got = out!.map((t) => scope.read(t).slice());
      scope.dispose();
    });
    expect(got.length).toBe(withBias ? 2 : 1);
    const want = referenceFilterGrad(x, [...shape], dy, [3, 3, c, f], {
      strides: 1,
      pad: 'same',
      dataFormat: 'NHWC',
    });
    let [worst, scale] = [0, 0];
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[0]![i]! - want[i]!));
      scale = Math.max(scale, Math.abs(want[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-5);
    if (withBias) {
      for (let j = 0; j < f; j++) {
        let sum = 0;
        for (let p = j; p < dy.length; p += f) sum += dy[p]!;
        expect(got[1]![j]!).toBeCloseTo(sum, 3);
      }
    }
  });

  it('shares the tiles between the backend threads', () => {
    // 4·8·8 = 256 tiles, more than one block of 16 + 32 channels: every thread gets work.
    expect(256).toBeGreaterThan(blockTiles(16, 32));
    expect(ownGemmFor(tf.backend())!.threads).toBe(threads);
  });

  it('leaves the forward pass of 512 × 512 channels to XNNPACK, not its input gradient', () => {
    const x = values(1 * 2 * 2 * 512);
    const filter = values(9 * 512 * 512);
    expect(winograd(x, [1, 2, 2, 512], filter, 512, { relu: false, flip: false })).toBeNull();
    expect(winograd(x, [1, 2, 2, 512], filter, 512, { relu: false, flip: true })).not.toBeNull();
  });

  it('leaves other shapes to XNNPACK', () => {
    expect(winogradApplies([1, 8, 8, 4], [3, 3, 4, 8])).toBe(true);
    expect(winogradApplies([1, 7, 8, 4], [3, 3, 4, 8]), 'odd height').toBe(false);
    expect(winogradApplies([1, 8, 8, 3], [3, 3, 3, 8]), 'channels not in fours').toBe(false);
    expect(winogradApplies([1, 8, 8, 4], [3, 3, 4, 12]), 'outputs not in eights').toBe(false);
    expect(winogradApplies([1, 8, 8, 4], [5, 5, 4, 8]), 'a 5×5 filter').toBe(false);
    process.env.RADFED_WASM_WINOGRAD = '0';
    try {
      expect(winogradApplies([1, 8, 8, 4], [3, 3, 4, 8]), 'switched off').toBe(false);
    } finally {
      delete process.env.RADFED_WASM_WINOGRAD;
    }
  });

  it.each([false, true])(
    'gives a training step the same loss and gradients as XNNPACK through the registered kernels (Winograd filter gradient %s)',
    (filterGrad) => {
      // conv + bias + ReLU (the reference CNN's), then a plain Conv2D (ResNet's), then a loss: the
      // forward passes and the input gradient go by Winograd, the filter gradients too when asked.
      if (filterGrad) process.env.RADFED_WASM_WINOGRAD_FILTER_GRAD = '1';
      const x = tf.tensor4d(values(4 * 8 * 8 * 4), [4, 8, 8, 4]);
      const w1 = tf.tensor4d(values(9 * 4 * 8), [3, 3, 4, 8]);
      const b1 = tf.tensor1d(values(8));
      const w2 = tf.tensor4d(values(9 * 8 * 16), [3, 3, 8, 16]);
      const step = () =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => {
            const h = conv2dBiasRelu(x, w1Var, b1Var, { strides: 1, pad: 'same' });
            return tf.mean(tf.square(tf.conv2d(h, w2Var, 1, 'same'))) as tf.Scalar;
          });
          return [
            value.dataSync()[0]!,
            ...Object.values(grads).map((g) => g.dataSync() as Float32Array),
          ] as const;
        });
      const w1Var = tf.variable(w1);
      const b1Var = tf.variable(b1);
      const w2Var = tf.variable(w2);
      const [lossOn, ...gradsOn] = step();
      process.env.RADFED_WASM_WINOGRAD = '0';
      let off: ReturnType<typeof step>;
      try {
        off = step();
      } finally {
        delete process.env.RADFED_WASM_WINOGRAD;
      }
      const [lossOff, ...gradsOff] = off;
      expect(Math.abs(lossOn - lossOff) / Math.abs(lossOff)).toBeLessThan(1e-5);
      expect(gradsOn.length).toBe(3);
      for (const [i, g] of gradsOn.entries()) {
        const want = gradsOff[i]!;
        let [worst, scale] = [0, 0];
        for (let j = 0; j < want.length; j++) {
          worst = Math.max(worst, Math.abs(g[j]! - want[j]!));
          scale = Math.max(scale, Math.abs(want[j]!));
        }
        expect(worst / scale, `gradient ${i}`).toBeLessThan(1e-4);
      }
      tf.dispose([x, w1, b1, w2, w1Var, b1Var, w2Var]);
      delete process.env.RADFED_WASM_WINOGRAD_FILTER_GRAD;
    },
  );
});
