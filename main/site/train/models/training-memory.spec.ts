// The training-memory measure: what grows with the batch, measured, and nothing left behind. A pass
// that kept its gradients counted the weights' size as per-image memory (ResNet-18 at 10 px was said to
// take 22 MB per image, as at 224 px) and leaked them on every measure.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import { chooseTrainingStep, measureTrainingMemory, type TrainingMemory } from './index.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm', threads: 1 });
});

it('counts activations per image, not the weights’ gradients, and frees what it made', async () => {
  const before = tf.memory().numBytes;
  const config = { inputSize: 8, channels: 1, numClasses: 2 };
  const small = await measureTrainingMemory('resnet-small', config);
  expect(tf.memory().numBytes).toBe(before);
  // resnet-small has 0.3 M weights (1.2 MB): their gradients counted per image made it 600 kB or more;
  // an 8-px image's activations are a few kilobytes each layer (measured 165 kB, an upper bound).
  expect(small.perImageBytes).toBeLessThan(300 * 1024);
  const larger = await measureTrainingMemory('resnet-small', { ...config, inputSize: 64 });
  // 64× the pixels: the per-image figure grows with the image, the fixed one does not.
  expect(larger.perImageBytes).toBeGreaterThan(5 * small.perImageBytes);
  expect(tf.memory().numBytes).toBe(before);
}, 60_000);

it('measures less per image when activations are recomputed in the backward pass', async () => {
  const config = { inputSize: 64, channels: 1, numClasses: 2 };
  const plain = await measureTrainingMemory('resnet-small', config);
  const recomputed = await measureTrainingMemory('resnet-small', config, { checkpointing: true });
  expect([plain.checkpointing, recomputed.checkpointing]).toEqual([false, true]);
  expect(recomputed.perImageBytes).toBeLessThan(0.8 * plain.perImageBytes);
}, 60_000);

describe('how a training step fits the memory', () => {
  // ResNet-18 at 224 px as measured in kind: 100 MB an image as it is, 40 MB recomputing activations.
  const plain: TrainingMemory = {
    architecture: 'resnet-18',
    inputSize: 224,
    fixedBytes: 200e6,
    perImageBytes: 100e6,
    checkpointing: false,
  };
  const checkpointed: TrainingMemory = { ...plain, perImageBytes: 40e6, checkpointing: true };
  const GB = 2 ** 30;

  it('keeps the step as it is when the asked batch fits, without measuring the recomputing one', () => {
    expect(chooseTrainingStep(32, 4 * GB, 'auto', plain)).toEqual({
      batch: 32,
      bytes: 3.4e9,
      checkpointing: false,
    });
  });

  it('keeps the asked batch by recomputing activations when only that fits, and says so', () => {
    const choice = chooseTrainingStep(32, 2 * GB, 'auto', plain, checkpointed);
    expect(choice).toMatchObject({ batch: 32, bytes: 200e6 + 32 * 40e6, checkpointing: true });
    expect(choice.message).toBe(
      'Training resnet-18 at 224 px needs 3.2 GB for a batch of 32 and this backend can give training ' +
        '2.0 GB: keeping the batch of 32 by recomputing activations in the backward pass (one more ' +
        'forward pass a step, up to a third slower; needs 1.4 GB).',
    );
  });

  it('takes the larger of the smaller batches when neither fits the asked one', () => {
    // 1 GB: 8 images as they are, 21 recomputing.
    const choice = chooseTrainingStep(32, GB, 'auto', plain, checkpointed);
    expect(choice).toMatchObject({ batch: 21, checkpointing: true });
    expect(choice.message).toMatch(
      /^Training resnet-18 at 224 px, recomputing activations in the backward pass, takes about 38 MB per image; a batch of 32 would need 1\.4 GB, more than the 1\.0 GB this backend can use, so batches of 21 are used instead\.$/,
    );
    // Recomputing that saves nothing: the faster step, at the same smaller batch.
    const useless = { ...checkpointed, perImageBytes: plain.perImageBytes };
    expect(chooseTrainingStep(32, GB, 'auto', plain, useless)).toMatchObject({
      batch: 8,
      checkpointing: false,
    });
  });

  it('follows a setting of on or off whatever the memory', () => {
    expect(chooseTrainingStep(32, 4 * GB, 'on', plain, checkpointed)).toEqual({
      batch: 32,
      bytes: 200e6 + 32 * 40e6,
      checkpointing: true,
    });
    expect(chooseTrainingStep(32, 2 * GB, 'off', plain, checkpointed)).toMatchObject({
      batch: 19,
      checkpointing: false,
    });
  });

  it('refuses a step that does not fit one image even recomputing', () => {
    expect(() => chooseTrainingStep(32, 220e6, 'auto', plain, checkpointed)).toThrow(TrainError);
    expect(() => chooseTrainingStep(32, 220e6, 'auto', plain, checkpointed)).toThrow(
      /recomputing activations in the backward pass, needs about 229 MB even one image at a time/,
    );
  });
});
