// The trainer's parts: ROC AUC and threshold metrics, learning-rate schedules, and the fused Adam
// against tfjs's own Adam (same formula, same numbers).
import { describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { createModel } from '../models/index.ts';
import { FusedAdam } from './adam.ts';
import { binaryMetrics, rocAuc } from './metrics.ts';
import { learningRateAt } from './schedule.ts';

describe('metrics', () => {
  it('computes ROC AUC as the chance a positive outranks a negative, ties counting half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.2, 0.3], [1, 1])).toBeNull();
  });

  it('counts sensitivity and specificity at the threshold', () => {
    const m = binaryMetrics([0.9, 0.6, 0.2, 0.7, 0.1], [1, 1, 1, 0, 0], 0.4);
    expect(m).toMatchObject({ accuracy: 0.6, sensitivity: 2 / 3, specificity: 0.5, loss: 0.4, count: 5 });
  });
});

describe('learning-rate schedules', () => {
  it('warms up linearly, then decays along a cosine to the floor', () => {
    const schedule = { kind: 'cosine', warmupEpochs: 1, floor: 0.1 } as const;
    expect(learningRateAt(1, schedule, 0.5, 11)).toBeCloseTo(0.5, 2);
    expect(learningRateAt(1, schedule, 1, 11)).toBeCloseTo(1);
    expect(learningRateAt(1, schedule, 6, 11)).toBeCloseTo(0.55);
    expect(learningRateAt(1, schedule, 11, 11)).toBeCloseTo(0.1);
    expect(learningRateAt(1, { kind: 'step', every: 2, factor: 0.5 }, 5, 10)).toBe(0.25);
  });
});

describe('FusedAdam', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`takes the same steps as tfjs's Adam on ${backend}, and restores its state`, async () => {
      await selectBackend({ choice: backend });
      const x = tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
      const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
      const run = (step: (m: ReturnType<typeof createModel>) => void) => {
        const model = createModel('reference-cnn', { inputSize: 16, channels: 1, numClasses: 2, seed: 4 });
        for (let i = 0; i < 3; i++) step(model);
        const values = model.parameters.map((p) => Array.from(p.variable.dataSync()));
        model.dispose();
        return values;
      };
      const loss = (m: ReturnType<typeof createModel>) => () =>
        tf.losses.softmaxCrossEntropy(y, m.logits(x)) as tf.Scalar;
      const stock = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
      const expected = run((m) =>
        stock.minimize(
          loss(m),
          false,
          m.parameters.map((p) => p.variable),
        ),
      );
      const fused = new FusedAdam(0.01);
      const actual = run((m) => {
        fused.minimize(loss(m), m.parameters).dispose();
      });
      // tfjs keeps βᵗ in float32 (its bias correction 1 − 0.999ᵗ is off by ~1e-4 relative); ours
      // uses float64: the weights agree to well within one step's size (lr = 0.01).
      for (let i = 0; i < expected.length; i++) {
        for (let k = 0; k < expected[i]!.length; k++) expect(actual[i]![k]).toBeCloseTo(expected[i]![k]!, 4);
      }
      const restored = new FusedAdam(0.01);
      const model = createModel('reference-cnn', { inputSize: 16, channels: 1, numClasses: 2, seed: 4 });
      // The state holds the optimiser's moments under the parameters' names; a model of the same shape names them.
      const saved = await fused.state(model.parameters);
      restored.restore(model.parameters, saved);
      expect(restored.step).toBe(3);
      expect(await restored.state(model.parameters)).toEqual(saved);
      [stock, fused, restored, model].forEach((d) => d.dispose());
    });
  }
});
