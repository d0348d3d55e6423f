// One U-shaped SplitFed step, site and trunk exchanging frame bytes in process: with float32 frames it
// is one step of the whole model (same loss, same gradient for every weight, same weights after), a
// repeated frame is answered again without a second update, and frames out of turn are refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { createModel, type ImageModel } from '../models/index.ts';
import { adamOptimizer, HubTrunk, sgdOptimizer, SplitSite, SplitStepError } from './index.ts';
import { expectOneWholeModelStep, valuesOf, wholeModelStep } from './testing/whole-model-step.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

const CONFIG = { inputSize: 32, channels: 1, numClasses: 2, seed: 5 };
const RATE = 0.05;
const SESSION = 'a1'.repeat(16);
const OTHER = 'b2'.repeat(16);
const LABELS = Int32Array.from([0, 1, 1, 0, 1]);
const images = () => tf.randomNormal([LABELS.length, 32, 32, 1], 0, 1, 'float32', 9) as tf.Tensor4D;

function parties(architecture: string, dtype: 'float32' | 'float16' = 'float32') {
  const siteModel = createModel(architecture, CONFIG);
  const hubModel = createModel(architecture, CONFIG);
  const optimizers = { bottom: sgdOptimizer(RATE), head: sgdOptimizer(RATE) };
  const site = new SplitSite(siteModel, { session: SESSION, dtype, optimizers });
  const hub = new HubTrunk(hubModel, { dtype, optimizer: sgdOptimizer(RATE) });
  return { site, hub, siteModel, hubModel };
}

/** Whether the model's tensors hold exactly `before` (a loop: toEqual on 0.3 M values takes seconds). */
function unchanged(model: ImageModel, before: Map<string, Float32Array>): boolean {
  return model.parameters.every((p) => {
    const now = p.variable.dataSync();
    const then = before.get(p.name)!;
    return now.length === then.length && now.every((value, i) => value === then[i]);
  });
}

/** ‖a − b‖ / ‖b‖. */
function relativeL2(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    difference += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(difference / norm);
}

async function oneSplitStep(site: SplitSite, hub: HubTrunk, x: tf.Tensor4D) {
  const up1 = await site.forwardBottom(0, 0, x);
  const down2 = await hub.forwardTrunk(up1);
  const head = await site.headStep(down2, LABELS);
  const trunk = await hub.backwardTrunk(head.frame);
  const bottom = await site.backwardBottom(trunk.frame);
  return { up1, down2, head, trunk, bottom: bottom! };
}

describe('a split step', () => {
  for (const architecture of ['resnet-small', 'resnet-small-gn']) {
    it(`${architecture}: with float32 frames, is one step of the whole model: loss, every gradient to 1e-5, weights after`, async () => {
      const x = images();
      const whole = createModel(architecture, CONFIG);
      const expected = wholeModelStep(whole, x, LABELS, 2, RATE);

      const { site, hub, siteModel, hubModel } = parties(architecture);
      const step = await oneSplitStep(site, hub, x);
      expect(Math.abs(step.head.loss - expected.loss)).toBeLessThan(1e-6);
      // After the step: the site's bottom and head and the hub's trunk are the whole model's tensors
      // (batch-norm running statistics included: each segment counted the batch once).
      const gradients = new Map([...step.head.gradients, ...step.trunk.gradients, ...step.bottom]);
      expectOneWholeModelStep(whole, expected, gradients, [
        { model: siteModel, parameters: site.segmentParameters },
        { model: hubModel, parameters: hub.trunk.parameters },
      ]);
      [whole, siteModel, hubModel].forEach((m) => m.dispose());
    });
  }

  it('float16 frames (half the bytes) stay close to the float32 step', async () => {
    const x = images();
    const exact = parties('resnet-small-gn', 'float32');
    const half = parties('resnet-small-gn', 'float16');
    const a = await oneSplitStep(exact.site, exact.hub, x);
    const b = await oneSplitStep(half.site, half.hub, x);
    expect(b.up1.length).toBeLessThan(a.up1.length * 0.51);
    expect(Math.abs(a.head.loss - b.head.loss)).toBeLessThan(1e-3);
    // Rounding to 11 bits moves each value by 5e-4 at most, but a weight's gradient sums many terms
    // that largely cancel (a bias's gradient is Σ dy), which amplifies it: a few per cent is expected.
    for (const [name, values] of a.trunk.gradients) {
      expect(relativeL2(b.trunk.gradients.get(name)!, values), name).toBeLessThan(0.1);
    }
    [exact, half].forEach((p) => [p.siteModel, p.hubModel].forEach((m) => m.dispose()));
  });

  it('answers a repeated frame (a retry) with the same bytes and applies the step once', async () => {
    const x = images();
    const { site, hub, siteModel, hubModel } = parties('resnet-small');
    const up1 = await site.forwardBottom(7, 3, x);
    const down2 = await hub.forwardTrunk(up1);
    expect(await hub.forwardTrunk(up1)).toEqual(down2);
    const head = await site.headStep(down2, LABELS);
    const headWeights = valuesOf(siteModel);
    expect((await site.headStep(down2, LABELS)).frame).toEqual(head.frame);
    expect(unchanged(siteModel, headWeights)).toBe(true);
    const trunk = await hub.backwardTrunk(head.frame);
    const trunkWeights = valuesOf(hubModel);
    expect((await hub.backwardTrunk(head.frame)).frame).toEqual(trunk.frame);
    expect(unchanged(hubModel, trunkWeights)).toBe(true);
    expect(await site.backwardBottom(trunk.frame)).not.toBeNull();
    const siteWeights = valuesOf(siteModel);
    expect(await site.backwardBottom(trunk.frame)).toBeNull();
    expect(unchanged(siteModel, siteWeights)).toBe(true);
    [siteModel, hubModel].forEach((m) => m.dispose());
  });

  it('leaves no tensor behind: a step in the steady state ends with as many tensors as it began', async () => {
    const x = images();
    for (const optimizer of [sgdOptimizer, adamOptimizer]) {
      const siteModel = createModel('resnet-small', CONFIG);
      const hubModel = createModel('resnet-small', CONFIG);
      const optimizers = { bottom: optimizer(RATE), head: optimizer(RATE) };
      const site = new SplitSite(siteModel, { session: SESSION, optimizers });
      const hub = new HubTrunk(hubModel, { optimizer: optimizer(RATE) });
      await oneSplitStep(site, hub, x); // the first step may create lasting state (Adam's moments)
      const before = tf.memory().numTensors;
      for (let step = 1; step <= 2; step++) {
        const up1 = await site.forwardBottom(step, step, x);
        const head = await site.headStep(await hub.forwardTrunk(up1), LABELS);
        await site.backwardBottom((await hub.backwardTrunk(head.frame)).frame);
      }
      expect(tf.memory().numTensors).toBe(before);
      [siteModel, hubModel].forEach((m) => m.dispose());
    }
  });

  it('refuses frames out of turn, of another session, or for a trunk busy with another site', async () => {
    const x = images();
    const { site, hub, siteModel, hubModel } = parties('resnet-small');
    const other = parties('resnet-small');
    const otherSite = new SplitSite(other.siteModel, {
      session: OTHER,
      optimizers: { bottom: sgdOptimizer(RATE), head: sgdOptimizer(RATE) },
    });
    const code = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (error) {
        if (error instanceof SplitStepError) return error.code;
        throw error;
      }
      return 'accepted';
    };
    expect(await code(() => site.headStep(new Uint8Array(0), LABELS))).toBe('out-of-order');
    const up1 = await site.forwardBottom(1, 1, x);
    expect(await code(() => site.headStep(up1, LABELS))).toBe('out-of-order'); // activations, not a trunk output
    const down2 = await hub.forwardTrunk(up1);
    const theirs = await otherSite.forwardBottom(1, 1, x);
    expect(await code(() => hub.forwardTrunk(theirs))).toBe('trunk-busy');
    expect(await code(() => otherSite.headStep(down2, LABELS))).toBe('wrong-session');
    expect(await code(() => site.headStep(down2, LABELS.subarray(1)))).toBe('shape-mismatch');
    // A site cut elsewhere than the hub (after the stem, not block1) sends activations the trunk cannot take.
    const elsewhere = createModel('resnet-small', CONFIG);
    const shallow = new SplitSite(elsewhere, {
      session: OTHER,
      cuts: { cut1: 'stem', cut2: 'block3' },
      optimizers: { bottom: sgdOptimizer(RATE), head: sgdOptimizer(RATE) },
    });
    hub.abandon(SESSION);
    await expect(hub.forwardTrunk(await shallow.forwardBottom(1, 1, x))).rejects.toThrow(
      /shape \[5, 16, 16, 16\], but this task's model needs \[images, 8, 8, 32\]/,
    );
    elsewhere.dispose();
    await hub.forwardTrunk(await site.forwardBottom(2, 2, x));
    // The first site vanishes mid-step: the trunk drops its step and serves the other.
    hub.abandon(SESSION);
    expect(await code(() => hub.forwardTrunk(theirs))).toBe('accepted');
    [siteModel, hubModel, other.siteModel, other.hubModel].forEach((m) => m.dispose());
  });
});
