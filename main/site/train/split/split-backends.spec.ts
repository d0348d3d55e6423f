// The split step on the other backends the trainer runs on: plain JavaScript (cpu) and native
// TensorFlow (tfjs-node) where it loads. The vector–Jacobian products and the replay mode of batch
// normalisation must give the whole model's gradients there too (WebAssembly: split-step.spec.ts;
// WebGPU needs a GPU this machine lacks).
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { createModel } from '../models/index.ts';
import { HubTrunk, sgdOptimizer, SplitSite } from './index.ts';
import { maxGap, wholeModelStep } from './testing/whole-model-step.ts';

const CONFIG = { inputSize: 32, channels: 1, numClasses: 2, seed: 8 };
const LABELS = Int32Array.from([1, 0, 0, 1]);

/** Why native TensorFlow cannot run here, or null when it can. */
const nativeProblem = await selectBackend({ choice: 'tensorflow' }).then(
  () => null,
  (error: Error) => error.message,
);
afterAll(() => selectBackend({ choice: 'wasm' }));

async function largestGradientGap(): Promise<number> {
  const x = tf.randomNormal([LABELS.length, 32, 32, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const whole = createModel('resnet-small', CONFIG);
  const expected = wholeModelStep(whole, x, LABELS, 2);
  const siteModel = createModel('resnet-small', CONFIG);
  const hubModel = createModel('resnet-small', CONFIG);
  const optimizers = { bottom: sgdOptimizer(0.1), head: sgdOptimizer(0.1) };
  const site = new SplitSite(siteModel, { session: 'c'.repeat(32), dtype: 'float32', optimizers });
  const hub = new HubTrunk(hubModel, { dtype: 'float32', optimizer: sgdOptimizer(0.1) });
  const head = await site.headStep(await hub.forwardTrunk(await site.forwardBottom(0, 0, x)), LABELS);
  const trunk = await hub.backwardTrunk(head.frame);
  const bottom = (await site.backwardBottom(trunk.frame))!;
  const gradients = new Map([...head.gradients, ...trunk.gradients, ...bottom]);
  let gap = 0;
  for (const [name, want] of expected.gradients) gap = Math.max(gap, maxGap(want, gradients.get(name)!));
  [whole, siteModel, hubModel].forEach((m) => m.dispose());
  return gap;
}

describe('a split step on each backend', () => {
  it('cpu: gives the whole model\u2019s gradient of every weight to 1e-5', async () => {
    await selectBackend({ choice: 'cpu' });
    expect(await largestGradientGap()).toBeLessThan(1e-5);
  });

  it.skipIf(nativeProblem !== null)(
    `native TensorFlow: gives the whole model\u2019s gradients to 1e-5${nativeProblem ? ' (skipped: its native library does not load on this machine)' : ''}`,
    async () => {
      await selectBackend({ choice: 'tensorflow' });
      expect(await largestGradientGap()).toBeLessThan(1e-5);
    },
  );
});
