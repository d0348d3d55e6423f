// ResNet-18 as torchvision lays it out (11,171,266 weights for one input channel and two classes;
// torch-reference-layout.spec.ts checks them against bench/resnet18_reference.py), its stage sizes at 224 px, and the training-memory
// measurement with the batch it chooses when memory is short.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import { createModel, fitBatchSize, measureTrainingMemory } from './index.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

describe('resnet-18', () => {
  it('has torchvision’s weights for one channel and two classes, and its stage sizes at 224 px', () => {
    const model = createModel('resnet-18', { inputSize: 224, channels: 1, numClasses: 2 });
    try {
      const trainable = model.parameters.filter((p) => p.trainable);
      expect(trainable.reduce((sum, p) => sum + p.variable.size, 0)).toBe(11_171_266);
      expect(model.cuts).toEqual({ cut1: 'layer1', cut2: 'layer4' });
      const shapes = tf.tidy(() => {
        let h: tf.Tensor = tf.zeros([1, 224, 224, 1]);
        return model.stages.map((stage) => {
          h = stage.apply(h, 'infer');
          return h.shape;
        });
      });
      expect(shapes).toEqual([
        [1, 56, 56, 64],
        [1, 56, 56, 64],
        [1, 28, 28, 128],
        [1, 14, 14, 256],
        [1, 7, 7, 512],
        [1, 2],
      ]);
    } finally {
      model.dispose();
    }
  });
});

describe('training memory', () => {
  it('is measured per image and in all, and bounds a larger batch’s peak from above, within half again', async () => {
    const config = { inputSize: 32, channels: 1, numClasses: 2 };
    const memory = await measureTrainingMemory('resnet-small', config);
    expect(memory.perImageBytes).toBeGreaterThan(32 * 32 * 4 * 10);
    expect(memory.fixedBytes).toBeGreaterThan(0);
    const before = tf.memory().numBytes;
    const model = createModel('resnet-small', config);
    try {
      const trainable = model.parameters.filter((p) => p.trainable).map((p) => p.variable);
      const { peakBytes } = await tf.profile(() => {
        tf.tidy(() => {
          const x = tf.zeros([6, 32, 32, 1]) as tf.Tensor4D;
          const y = tf.oneHot(tf.zeros([6], 'int32') as tf.Tensor1D, 2);
          const { value, grads } = tf.variableGrads(
            () => tf.losses.softmaxCrossEntropy(y, model.logits(x, { training: true })) as tf.Scalar,
            trainable,
          );
          return [value, ...Object.values(grads)];
        });
      });
      const predicted = memory.fixedBytes + 6 * memory.perImageBytes;
      expect(predicted).toBeGreaterThanOrEqual(peakBytes - before);
      expect(predicted).toBeLessThan(1.5 * (peakBytes - before));
    } finally {
      model.dispose();
    }
  });

  it('keeps the batch asked for when it fits, else takes the largest that fits and says so', () => {
    const memory = {
      architecture: 'resnet-18',
      inputSize: 224,
      fixedBytes: 200e6,
      perImageBytes: 100e6,
      checkpointing: false,
    };
    expect(fitBatchSize(32, memory, 4e9)).toEqual({ batch: 32, bytes: 3.4e9, checkpointing: false });
    const smaller = fitBatchSize(32, memory, 2.2e9);
    expect(smaller.batch).toBe(20);
    expect(smaller.message).toMatch(
      /^Training resnet-18 at 224 px takes about 95 MB per image; a batch of 32 would need 3\.2 GB, more than the 2\.0 GB this backend can use, so batches of 20 are used instead\.$/,
    );
    expect(() => fitBatchSize(32, memory, 250e6)).toThrow(TrainError);
    expect(() => fitBatchSize(32, memory, 250e6)).toThrow(/Choose a smaller image size or a smaller model/);
  });
});
