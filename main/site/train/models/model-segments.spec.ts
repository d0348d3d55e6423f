// The cut model is the model: bottom, trunk and head composed give the whole model's logits, and the
// gradients carried back across the two cuts (vector–Jacobian products) are the whole model's
// gradients, for every architecture, with batch-norm running statistics counted once per batch.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { createModel, MODEL_ARCHITECTURES } from './index.ts';
import { backwardThrough, segmentGradients, splitModel } from './model-segments.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

const CONFIG = { inputSize: 32, channels: 1, numClasses: 3, seed: 11 };
const BATCH = 4;

function batch() {
  const x = tf.randomNormal([BATCH, 32, 32, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), CONFIG.numClasses);
  return { x, y };
}

const loss = (y: tf.Tensor) => (logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;

/** max |a − b| over max(1, max |a|): float32 sums in another order differ in the last bits only. */
function relativeGap(a: tf.Tensor, b: tf.Tensor): number {
  const av = a.dataSync();
  const bv = b.dataSync();
  expect(av.length).toBe(bv.length);
  let gap = 0;
  let scale = 1;
  for (let i = 0; i < av.length; i++) {
    gap = Math.max(gap, Math.abs(av[i]! - bv[i]!));
    scale = Math.max(scale, Math.abs(av[i]!));
  }
  return gap / scale;
}

describe('a model cut at its cut points', () => {
  for (const architecture of Object.keys(MODEL_ARCHITECTURES)) {
    it(`${architecture}: every tensor is in exactly one segment, and the cuts are named in the model`, () => {
      const model = createModel(architecture, CONFIG);
      const split = splitModel(model);
      const names = [split.bottom, split.trunk, split.head].flatMap((s) => s.parameters.map((p) => p.name));
      expect(names.sort()).toEqual(model.parameters.map((p) => p.name).sort());
      expect(split.bottom.stages.at(-1)).toBe(model.cuts.cut1);
      expect(split.trunk.stages.at(-1)).toBe(model.cuts.cut2);
      expect(split.head.stages.length).toBeGreaterThan(0);
      model.dispose();
    });

    it(`${architecture}: bottom → trunk → head gives the whole model's logits, inferring and training`, () => {
      const { x } = batch();
      for (const mode of ['infer', 'train'] as const) {
        const whole = createModel(architecture, CONFIG);
        const cut = createModel(architecture, CONFIG);
        const { bottom, trunk, head } = splitModel(cut);
        const expected = whole.logits(x, { training: mode === 'train' });
        const composed = head.apply(trunk.apply(bottom.apply(x, mode), mode), mode);
        expect(composed.shape).toEqual([BATCH, CONFIG.numClasses]);
        expect(relativeGap(composed, expected)).toBeLessThan(1e-6);
        whole.dispose();
        cut.dispose();
      }
    });

    it(`${architecture}: the gradients carried back across both cuts equal the whole model's, to 1e-5`, () => {
      const { x, y } = batch();
      const whole = createModel(architecture, CONFIG);
      const trainable = whole.parameters.filter((p) => p.trainable);
      const expected = tf.variableGrads(
        () => loss(y)(whole.logits(x, { training: true })),
        trainable.map((p) => p.variable),
      );

      const cut = createModel(architecture, CONFIG);
      const { bottom, trunk, head } = splitModel(cut);
      // The forward passes as split learning runs them: each segment once, in training mode...
      const atCut1 = bottom.apply(x, 'train');
      const atCut2 = trunk.apply(atCut1, 'train');
      const headStep = segmentGradients(head, atCut2, loss(y), { mode: 'train', inputGradient: true });
      // ...and the backward passes replay the trunk and the bottom on the gradient from above.
      const trunkStep = backwardThrough(trunk, atCut1, headStep.input!, {
        mode: 'replay',
        inputGradient: true,
      });
      const bottomStep = backwardThrough(bottom, x, trunkStep.input!, {
        mode: 'replay',
        inputGradient: false,
      });
      expect(bottomStep.input).toBeNull();

      expect(Math.abs(headStep.value.dataSync()[0]! - expected.value.dataSync()[0]!)).toBeLessThan(1e-6);
      const gradients = new Map([...headStep.weights, ...trunkStep.weights, ...bottomStep.weights]);
      expect([...gradients.keys()].sort()).toEqual(trainable.map((p) => p.name).sort());
      for (const p of trainable) {
        expect(relativeGap(gradients.get(p.name)!, expected.grads[p.variable.name]!), p.name).toBeLessThan(
          1e-5,
        );
      }
      // The replays leave the running statistics as the one training pass set them.
      whole.parameters.forEach((p, i) => {
        if (!p.trainable)
          expect(relativeGap(cut.parameters[i]!.variable, p.variable), p.name).toBeLessThan(1e-6);
      });
      whole.dispose();
      cut.dispose();
    });
  }

  it('refuses a cut at a stage the model does not have, or cuts that leave a segment empty', () => {
    const model = createModel('resnet-small', CONFIG);
    expect(() => splitModel(model, { cut1: 'block9', cut2: 'block3' })).toThrow(
      /no stage "block9".*choose one of stem, block1, block2, block3/,
    );
    expect(() => splitModel(model, { cut1: 'block2', cut2: 'block1' })).toThrow(/must come after cut 1/);
    expect(() => splitModel(model, { cut1: 'block2', cut2: 'head' })).toThrow(/before the last stage/);
    expect(splitModel(model).shapes).toEqual({ cut1: [8, 8, 32], cut2: [2, 2, 128] });
    // A shallow cut (after the stem) is allowed: the leakage meter compares it with deeper ones.
    expect(splitModel(model, { cut1: 'stem', cut2: 'block3' }).trunk.stages).toEqual([
      'block1',
      'block2',
      'block3',
    ]);
    model.dispose();
  });
});
