// One label-sharing split step (the head at the hub), site and hub exchanging bytes in process: with
// float32 frames it is one step of the whole model (loss, the gradient of every weight to 1e-5, the
// weights after), a repeated message is answered again without a second update, and the calls of the
// other mode are refused on each side.
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeLabelledStep, encodeLabelsFrame } from '../../../../shared/federation/split/index.ts';
import { selectBackend, tf } from '../backend/index.ts';
import { createModel } from '../models/index.ts';
import { HubTrunk, sgdOptimizer, SplitSite } from './index.ts';
import { expectOneWholeModelStep, valuesOf, wholeModelStep } from './testing/whole-model-step.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

const CONFIG = { inputSize: 32, channels: 1, numClasses: 2, seed: 5 };
const RATE = 0.05;
const SESSION = 'd4'.repeat(16);
const LABELS = Int32Array.from([0, 1, 1, 0, 1]);
const images = () => tf.randomNormal([LABELS.length, 32, 32, 1], 0, 1, 'float32', 9) as tf.Tensor4D;

function parties(architecture: string) {
  const siteModel = createModel(architecture, CONFIG);
  const hubModel = createModel(architecture, CONFIG);
  const optimizers = { bottom: sgdOptimizer(RATE), head: sgdOptimizer(RATE) };
  const site = new SplitSite(siteModel, { session: SESSION, dtype: 'float32', optimizers, headAtHub: true });
  const hub = new HubTrunk(hubModel, { dtype: 'float32', optimizer: sgdOptimizer(RATE), headAtHub: true });
  return { site, hub, siteModel, hubModel };
}

describe('a label-sharing split step', () => {
  for (const architecture of ['resnet-small', 'resnet-small-gn']) {
    it(`${architecture}: with float32 frames, is one step of the whole model: loss, every gradient to 1e-5, weights after`, async () => {
      const x = images();
      const whole = createModel(architecture, CONFIG);
      const expected = wholeModelStep(whole, x, LABELS, 2, RATE);

      const { site, hub, siteModel, hubModel } = parties(architecture);
      const headBefore = valuesOf(siteModel);
      const message = await site.labelledStep(0, 0, x, LABELS);
      const atHub = await hub.labelledStep(message);
      const bottom = (await site.backwardBottom(atHub.frame))!;
      expect(Math.abs(atHub.loss! - expected.loss)).toBeLessThan(1e-6);
      // The hub holds trunk and head; the site trained its bottom only.
      expectOneWholeModelStep(whole, expected, new Map([...atHub.gradients, ...bottom]), [
        { model: siteModel, parameters: site.segmentParameters },
        { model: hubModel, parameters: hub.trunk.parameters },
      ]);
      const atSite = valuesOf(siteModel);
      // The site's copies of the trunk and the head did not move: the hub's are the ones that train.
      expect(hub.trunk.stages.length).toBeGreaterThan(1);
      for (const p of hub.trunk.parameters) expect(atSite.get(p.name)).toEqual(headBefore.get(p.name));
      [whole, siteModel, hubModel].forEach((m) => m.dispose());
    });
  }

  it('answers a repeated step with the same bytes and applies it once; refuses the other mode\u2019s calls', async () => {
    const { site, hub, siteModel, hubModel } = parties('resnet-small-gn');
    const x = images();
    const message = await site.labelledStep(0, 0, x, LABELS);
    const first = await hub.labelledStep(message);
    const weights = valuesOf(hubModel);
    const again = await hub.labelledStep(message);
    expect(again.frame).toEqual(first.frame);
    expect(hub.appliedSteps).toBe(1);
    for (const [name, values] of valuesOf(hubModel)) expect(values, name).toEqual(weights.get(name));
    await site.backwardBottom(first.frame);

    await expect(hub.forwardTrunk(await site.forwardBottom(1, 1, x))).rejects.toMatchObject({
      code: 'wrong-mode',
    });
    await expect(site.headStep(new Uint8Array(0), LABELS)).rejects.toMatchObject({ code: 'wrong-mode' });
    const uShaped = new HubTrunk(createModel('resnet-small-gn', CONFIG), { optimizer: sgdOptimizer(RATE) });
    await expect(uShaped.labelledStep(await site.labelledStep(2, 2, x, LABELS))).rejects.toMatchObject({
      code: 'wrong-mode',
    });
    // A label outside the task's classes never reaches the head.
    const hostile = encodeLabelledStep(
      encodeLabelsFrame({ session: SESSION, step: 3, batch: 3 }, [0, 1, 1, 0, 1], 5).map((b, i) =>
        i === 36 ? 4 : b,
      ),
      await site.forwardBottom(3, 3, x),
    );
    await expect(hub.labelledStep(hostile)).rejects.toMatchObject({ code: 'bad-labels-frame' });
    expect(hub.appliedSteps).toBe(1);
    [siteModel, hubModel].forEach((m) => m.dispose());
  });
});
