// DenseNet-121 as torchvision lays it out (6,949,634 weights for one input channel and two classes;
// torch-reference-layout.spec.ts checks them against bench/densenet121_reference.py), its stage sizes at
// 224 px, its cut points for split learning, and a training step that lowers the loss.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { createModel, splitModel } from './index.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

describe('densenet-121', () => {
  it('has torchvision’s weights for one channel and two classes, and its stage sizes at 224 px', () => {
    const model = createModel('densenet-121', { inputSize: 224, channels: 1, numClasses: 2 });
    try {
      const trainable = model.parameters.filter((p) => p.trainable);
      expect(trainable.reduce((sum, p) => sum + p.variable.size, 0)).toBe(6_949_634);
      const shapes = tf.tidy(() => {
        let h: tf.Tensor = tf.zeros([1, 224, 224, 1]);
        return model.stages.map((stage) => {
          h = stage.apply(h, 'infer');
          return [stage.name, h.shape];
        });
      });
      expect(shapes).toEqual([
        ['stem', [1, 56, 56, 64]],
        ['block1', [1, 56, 56, 256]],
        ['transition1', [1, 28, 28, 128]],
        ['block2', [1, 28, 28, 512]],
        ['transition2', [1, 14, 14, 256]],
        ['block3', [1, 14, 14, 1024]],
        ['transition3', [1, 7, 7, 512]],
        ['block4', [1, 7, 7, 1024]],
        ['head', [1, 2]],
      ]);
    } finally {
      model.dispose();
    }
  });

  it('cuts after transition 1 and block 4, each weight in exactly one segment', () => {
    const model = createModel('densenet-121', { inputSize: 64, channels: 1, numClasses: 2 });
    try {
      expect(model.cuts).toEqual({ cut1: 'transition1', cut2: 'block4' });
      const split = splitModel(model);
      expect(split.shapes).toEqual({ cut1: [8, 8, 128], cut2: [2, 2, 1024] });
      const owned = [split.bottom, split.trunk, split.head].flatMap((s) => s.parameters.map((p) => p.name));
      expect(owned.sort()).toEqual(model.parameters.map((p) => p.name).sort());
      // The hub's trunk holds most of the weights; the site's bottom only the stem and block 1.
      const size = (s: typeof split.trunk) => s.parameters.reduce((n, p) => n + p.variable.size, 0);
      expect(size(split.trunk) / (size(split.bottom) + size(split.trunk) + size(split.head))).toBeGreaterThan(
        0.85,
      );
    } finally {
      model.dispose();
    }
  });

  it('learns: Adam steps on one batch of 32-px images lower its loss', () => {
    const model = createModel('densenet-121', { inputSize: 32, channels: 1, numClasses: 2, seed: 1 });
    const optimizer = tf.train.adam(1e-3);
    try {
      const x = tf.randomNormal([4, 32, 32, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
      const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
      const trainable = model.parameters.filter((p) => p.trainable).map((p) => p.variable);
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const loss = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(y, model.logits(x, { training: true })) as tf.Scalar,
          true,
          trainable,
        );
        losses.push(loss!.dataSync()[0]!);
        loss!.dispose();
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[3]!).toBeLessThan(losses[0]!);
      tf.dispose([x, y]);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }, 60_000);
});
