// The fused optimisers' CPU paths, which run everywhere: SGD with momentum on the WebAssembly heap and
// with tfjs ops on the CPU backend against PyTorch's formula computed here in float64, Adam's two paths
// against each other, and the checkpoint state of each (fused-optimizer-webgpu.spec.ts does WebGPU).
import { describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { FusedAdam } from './adam.ts';
import { createOptimizer } from './optimizer.ts';
import { SgdMomentum } from './sgd-momentum.ts';
import {
  applySteps,
  makeParameters,
  optimizerCase,
  readWeights,
  relativeError,
  runOptimizer,
  type OptimizerCase,
} from './testing/optimizer-runs.ts';

const STEPS = 6;

/** torch.optim.SGD(momentum=μ, dampening=0, nesterov) step by step, in float64. */
function torchSgd(c: OptimizerCase, lr: number, mu: number, nesterov: boolean): Float64Array[] {
  const w = c.initial.map((v) => Float64Array.from(v));
  const b = c.initial.map((v) => new Float64Array(v.length));
  for (let step = 0; step < c.gradients.length; step++) {
    w.forEach((wk, k) => {
      const g = c.gradients[step]![k]!;
      for (let i = 0; i < wk.length; i++) {
        // PyTorch: the first step's buffer is a copy of the gradient; later, μ·b + (1 − dampening)·g.
        b[k]![i] = step === 0 ? g[i]! : mu * b[k]![i]! + g[i]!;
        wk[i] = wk[i]! - lr * (nesterov ? g[i]! + mu * b[k]![i]! : b[k]![i]!);
      }
    });
  }
  return w;
}

describe('SGD with momentum', () => {
  const c = optimizerCase(7, STEPS);
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const nesterov of [false, true]) {
      it(`follows torch.optim.SGD's formula on ${backend} (${backend === 'wasm' ? 'heap loop' : 'tfjs ops'}, nesterov ${nesterov}) over ${STEPS} steps`, async () => {
        await selectBackend({ choice: backend });
        const { weights, state } = await runOptimizer(() => new SgdMomentum(0.05, 0.9, nesterov), c);
        const expected = torchSgd(c, 0.05, 0.9, nesterov);
        weights.forEach((w, k) => {
          expect(relativeError(w, expected[k]!), `tensor ${k}`).toBeLessThan(1e-6);
          // The steps too: only the weights' float32 rounding (~1e-7·|w|) may differ from float64.
          const moved = (values: ArrayLike<number>) => c.initial[k]!.map((w0, i) => values[i]! - w0);
          expect(relativeError(moved(w), moved(expected[k]!)), `steps of ${k}`).toBeLessThan(1e-4);
        });
        expect(state.map((s) => s.name)).toEqual([
          'sgd-momentum/step',
          ...c.initial.map((_, k) => `sgd-momentum/momentum/layer${k}/kernel`),
        ]);
        expect(state[0]!.values[0]).toBe(STEPS);
      });
    }
  }

  it("takes the same steps as tfjs's own momentum optimizer (the same formula, dampening 0)", async () => {
    await selectBackend({ choice: 'cpu' });
    const ours = await runOptimizer(() => new SgdMomentum(0.05, 0.9, true), c);
    const parameters = makeParameters(c);
    const stock = tf.train.momentum(0.05, 0.9, true);
    for (const step of c.gradients) {
      stock.applyGradients(
        parameters.map((p, k) => ({ name: p.variable.name, tensor: tf.tensor(step[k]!, p.variable.shape) })),
      );
    }
    const theirs = await readWeights(parameters);
    theirs.forEach((w, k) => expect(relativeError(ours.weights[k]!, w), `tensor ${k}`).toBeLessThan(1e-6));
    stock.dispose();
    parameters.forEach((p) => p.variable.dispose());
  });
});

describe('the fused optimisers on the CPU backends', () => {
  it("Adam's heap loop (wasm) and its tfjs ops (cpu) agree within 1e-6 over 6 steps, moments included", async () => {
    const c = optimizerCase(11, STEPS);
    await selectBackend({ choice: 'wasm' });
    const heap = await runOptimizer(() => new FusedAdam(0.01), c);
    await selectBackend({ choice: 'cpu' });
    const ops = await runOptimizer(() => new FusedAdam(0.01), c);
    heap.weights.forEach((w, k) =>
      expect(relativeError(ops.weights[k]!, w), `weights ${k}`).toBeLessThan(1e-6),
    );
    heap.state.forEach((s, k) =>
      expect(relativeError(ops.state[k]!.values, s.values), s.name).toBeLessThan(1e-6),
    );
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`a restored optimiser continues as the saved one would have, on ${backend}`, async () => {
      await selectBackend({ choice: backend });
      const c = optimizerCase(12, STEPS);
      for (const name of ['adam', 'sgd-momentum'] as const) {
        const parameters = makeParameters(c);
        const original = createOptimizer(name, 0.01);
        applySteps(original, parameters, c, 0, 3);
        const saved = await original.state(parameters);
        const savedWeights = await readWeights(parameters);
        applySteps(original, parameters, c, 3, STEPS);
        const expected = await readWeights(parameters);

        parameters.forEach((p, k) => p.variable.assign(tf.tensor(savedWeights[k]!, p.variable.shape)));
        const restored = createOptimizer(name, 0.01);
        restored.restore(parameters, saved);
        expect(restored.step).toBe(3);
        expect(await restored.state(parameters)).toEqual(saved);
        applySteps(restored, parameters, c, 3, STEPS);
        expect(await readWeights(parameters), name).toEqual(expected);
        [original, restored].forEach((o) => o.dispose());
        parameters.forEach((p) => p.variable.dispose());
      }
    });
  }

  it("refuses another optimiser's checkpoint, naming the one it holds", async () => {
    await selectBackend({ choice: 'cpu' });
    const c = optimizerCase(13, 1);
    const { state } = await runOptimizer(() => new FusedAdam(0.01), c);
    const parameters = makeParameters(c);
    const sgd = new SgdMomentum(0.01);
    expect(() => sgd.restore(parameters, state)).toThrow(
      /another optimizer \(adam, not sgd-momentum\): train with adam/,
    );
    parameters.forEach((p) => p.variable.dispose());
  });
});
