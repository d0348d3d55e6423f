// The training step the demo's time estimate and the WebAssembly A/B benchmarks time: it trains (the
// weights move), and disposing it frees what it made.
import { beforeAll, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { noiseTrainingStep } from './noise-training-step.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'cpu' });
});

it('moves the model’s weights each step, and frees the model, batch and optimiser when disposed', async () => {
  const before = tf.memory().numTensors;
  const { model, step, dispose } = noiseTrainingStep('reference-cnn', 16, 4);
  const first = model.parameters.find((p) => p.trainable)!.variable;
  const initial = Float32Array.from(first.dataSync());
  await step();
  await step();
  const moved = Float32Array.from(first.dataSync()).reduce(
    (most, v, i) => Math.max(most, Math.abs(v - initial[i]!)),
    0,
  );
  expect(moved).toBeGreaterThan(0);
  dispose();
  expect(tf.memory().numTensors).toBe(before);
});
