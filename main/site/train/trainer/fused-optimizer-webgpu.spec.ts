// The fused optimisers on WebGPU: one WGSL dispatch per weight tensor (kernels/webgpu-optimizer.ts)
// must take the same steps as the WebAssembly heap loop, keep its state through a checkpoint, and
// dispatch one kernel per tensor where tfjs's ops took about ten. Runs on SwiftShader under Vitest
// (scripts/software-webgpu.ts); skipped, by name, where WebGPU has no adapter.
import { afterEach, describe, expect, it } from 'vitest';
import { probeDawn, selectBackend, tf } from '../backend/index.ts';
import { countGpuDispatches } from '../kernels/index.ts';
import { createModel } from '../models/index.ts';
import { FusedAdam } from './adam.ts';
import { createOptimizer, type Optimizer } from './optimizer.ts';
import { SgdMomentum } from './sgd-momentum.ts';
import {
  applySteps,
  makeParameters,
  optimizerCase,
  readWeights,
  relativeError,
  runOptimizer,
} from './testing/optimizer-runs.ts';

const dawn = await probeDawn();
const STEPS = 6;

const OPTIMIZERS: [string, () => Optimizer][] = [
  ['Adam', () => new FusedAdam(0.01)],
  ['SGD with momentum', () => new SgdMomentum(0.05, 0.9)],
  ['SGD with Nesterov momentum', () => new SgdMomentum(0.05, 0.9, true)],
];

afterEach(() => {
  delete process.env.RADFED_WEBGPU_FUSED_OPTIMIZER;
});

describe('fused optimisers on WebGPU', () => {
  for (const [name, make] of OPTIMIZERS) {
    it.skipIf(!dawn.ok)(
      `${name}: the WGSL update equals the heap loop within 1e-6 over ${STEPS} steps on 1, 3, 1000 and 65537 elements (needs a WebGPU adapter)`,
      async () => {
        const c = optimizerCase(21, STEPS);
        await selectBackend({ choice: 'wasm' });
        const heap = await runOptimizer(make, c);
        await selectBackend({ choice: 'webgpu' });
        const gpu = await runOptimizer(make, c);
        heap.weights.forEach((w, k) =>
          expect(relativeError(gpu.weights[k]!, w), `weights ${k}`).toBeLessThan(1e-6),
        );
        // The steps themselves, not only where they led: a weight's float32 rounding (one unit in the
        // last place of w, ~1e-7·|w|) is all that may differ, against a step of ~0.01·|w|.
        const moved = (run: typeof heap, k: number) => run.weights[k]!.map((w, i) => w - c.initial[k]![i]!);
        heap.weights.forEach((_, k) => {
          expect(relativeError(moved(gpu, k), moved(heap, k)), `steps of ${k}`).toBeLessThan(1e-4);
        });
        expect(gpu.state.map((s) => s.name)).toEqual(heap.state.map((s) => s.name));
        heap.state.forEach((s, k) =>
          expect(relativeError(gpu.state[k]!.values, s.values), s.name).toBeLessThan(1e-6),
        );
      },
    );
  }

  it.skipIf(!dawn.ok)(
    'a checkpoint of the GPU state restores into a new optimiser that continues as the saved one would have (needs a WebGPU adapter)',
    async () => {
      await selectBackend({ choice: 'webgpu' });
      const c = optimizerCase(22, STEPS);
      for (const name of ['adam', 'sgd-momentum'] as const) {
        const parameters = makeParameters(c);
        const original = createOptimizer(name, 0.01);
        applySteps(original, parameters, c, 0, 3);
        const saved = await original.state(parameters);
        const savedWeights = await readWeights(parameters);
        applySteps(original, parameters, c, 3, STEPS);
        const expected = await readWeights(parameters);
        // A second read after more steps sees them (no stale copy of the first read).
        expect((await original.state(parameters))[1]!.values).not.toEqual(saved[1]!.values);

        parameters.forEach((p, k) => p.variable.assign(tf.tensor(savedWeights[k]!, p.variable.shape)));
        const restored = createOptimizer(name, 0.01);
        restored.restore(parameters, saved);
        expect(await restored.state(parameters)).toEqual(saved);
        applySteps(restored, parameters, c, 3, STEPS);
        expect(await readWeights(parameters), name).toEqual(expected);
        [original, restored].forEach((o) => o.dispose());
        parameters.forEach((p) => p.variable.dispose());
      }
    },
  );

  it.skipIf(!dawn.ok)(
    "dispatches one kernel per weight tensor per step, where tfjs's ops dispatched about ten (needs a WebGPU adapter)",
    async () => {
      await selectBackend({ choice: 'webgpu' });
      const model = createModel('reference-cnn', { inputSize: 16, channels: 1, numClasses: 2, seed: 3 });
      const parameters = model.parameters.filter((p) => p.trainable);
      const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
      const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2);
      const dispatchesPerStep = async (optimizer: Optimizer) => {
        let counted = 0;
        for (let step = 0; step < 2; step++) {
          const { value, grads } = tf.variableGrads(
            () => tf.losses.softmaxCrossEntropy(y, model.logits(x, { training: true })) as tf.Scalar,
            parameters.map((p) => p.variable),
          );
          // The gradients are queued before counting: only the update is counted.
          counted = await countGpuDispatches(() =>
            optimizer.applyGradients(value, grads, parameters).dispose(),
          );
        }
        optimizer.dispose();
        return counted;
      };
      const fused = await dispatchesPerStep(new FusedAdam(1e-3));
      process.env.RADFED_WEBGPU_FUSED_OPTIMIZER = '0';
      const ops = await dispatchesPerStep(new FusedAdam(1e-3));
      const sgdOps = await dispatchesPerStep(new SgdMomentum(1e-3));
      delete process.env.RADFED_WEBGPU_FUSED_OPTIMIZER;
      const sgd = await dispatchesPerStep(new SgdMomentum(1e-3));
      expect(fused).toBe(parameters.length);
      expect(sgd).toBe(parameters.length);
      expect(ops).toBeGreaterThanOrEqual(8 * parameters.length);
      expect(sgdOps).toBeGreaterThanOrEqual(3 * parameters.length);
      tf.dispose([x, y]);
      model.dispose();
    },
  );
});
