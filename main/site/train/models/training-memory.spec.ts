// The training-memory measure: what grows with the batch, measured, and nothing left behind. A pass
// that kept its gradients counted the weights' size as per-image memory (ResNet-18 at 10 px was said to
// take 22 MB per image, as at 224 px) and leaked them on every measure.
import { beforeAll, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { measureTrainingMemory } from './index.ts';

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
