// The hijack check against a hub that trains the site's bottom towards its own target (FSHA-style,
// Pasquini et al. 2021), on real tfjs: the malicious hub is simulated in process (no such hub exists to
// run against), an honest HubTrunk is the control. Both see only the site's frames.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCutFrame, encodeCutFrame } from '../../../../../shared/federation/split/index.ts';
import { selectBackend, tf } from '../../backend/index.ts';
import { createModel, splitModel, type ImageModel, type ModelSegment } from '../../models/index.ts';
import { adamOptimizer, HubTrunk, SplitSite } from '../index.ts';
import { HijackGuard, siteValidationLoss, SplitDefenceError, type TrunkEvaluation } from './index.ts';
import { HIJACK_TEST, hijackTestData } from '../testing/hijack-scenario.ts';
import { nodules, type NoduleSet } from './test-nodules.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

const { side: SIDE, config: CONFIG, steps: STEPS, check: CHECK } = HIJACK_TEST;

interface Trunk {
  forwardTrunk(frame: Uint8Array): Promise<Uint8Array>;
  backwardTrunk(frame: Uint8Array): Promise<{ frame: Uint8Array }>;
  evaluate: TrunkEvaluation;
}

/**
 * A hijacking hub (simulated): it runs its trunk forward as an honest hub would, so the site sees
 * plausible outputs, but the gradient it returns at cut 1 is not the task's: it pulls the site's
 * activations towards its own encoder's output on its own (public) images, the feature space FSHA
 * forces on the site so that the hub's decoder can invert it. The site's gradient at cut 2 is ignored.
 */
class HijackingTrunk implements Trunk {
  private readonly trunk: ModelSegment;
  private readonly encoder: ModelSegment;
  private readonly publicImages: NoduleSet;
  private atCut1: { header: ReturnType<typeof decodeCutFrame>['header']; values: Float32Array } | null = null;
  private batches = 0;

  constructor(hubModel: ImageModel, encoderModel: ImageModel) {
    this.trunk = splitModel(hubModel).trunk;
    this.encoder = splitModel(encoderModel).bottom;
    this.publicImages = nodules(256, SIDE, 777);
  }

  evaluate: TrunkEvaluation = (atCut1) => tf.tidy(() => this.trunk.apply(atCut1, 'infer'));

  async forwardTrunk(frame: Uint8Array): Promise<Uint8Array> {
    const { header, values } = decodeCutFrame(frame);
    this.atCut1 = { header, values };
    const output = tf.tidy(() => this.trunk.apply(tf.tensor(values, [...header.shape]), 'infer'));
    const bytes = encodeCutFrame(
      { ...header, kind: 'cut2-activations', shape: output.shape, dtype: 'float32' },
      (await output.data()) as Float32Array,
    );
    output.dispose();
    return bytes;
  }

  async backwardTrunk(frame: Uint8Array): Promise<{ frame: Uint8Array }> {
    decodeCutFrame(frame); // read, and ignored: the hub trains the site towards its own target
    const { header, values } = this.atCut1!;
    const count = header.shape[0]!;
    const from = (this.batches++ * count) % (256 - count);
    const gradient = tf.tidy(() => {
      const publicBatch = tf.tensor4d(
        this.publicImages.images.subarray(from * SIDE * SIDE, (from + count) * SIDE * SIDE),
        [count, SIDE, SIDE, 1],
      );
      const target = this.encoder.apply(publicBatch, 'infer');
      // ∂/∂a of ½‖a − target‖² / count.
      return tf.div(tf.sub(tf.tensor(values, [...header.shape]), target), count);
    });
    const bytes = encodeCutFrame(
      { ...header, kind: 'cut1-gradient', dtype: 'float32' },
      (await gradient.data()) as Float32Array,
    );
    gradient.dispose();
    return { frame: bytes };
  }
}

function honestTrunk(hubModel: ImageModel): Trunk {
  const hub = new HubTrunk(hubModel, { dtype: 'float32', optimizer: adamOptimizer(0.01) });
  return {
    forwardTrunk: (frame) => hub.forwardTrunk(frame),
    backwardTrunk: (frame) => hub.backwardTrunk(frame),
    evaluate: (atCut1) => tf.tidy(() => hub.trunk.apply(atCut1, 'infer')),
  };
}

/** Trains the site against `trunk` with the hijack check on; gives the check's readings and its verdict. */
async function session(makeTrunk: (hubModel: ImageModel) => Trunk) {
  const model = createModel('resnet-small-gn', CONFIG);
  const hubModel = createModel('resnet-small-gn', CONFIG);
  const encoderModel = createModel('resnet-small-gn', { ...CONFIG, seed: 99 });
  const trunk = makeTrunk(hubModel);
  const site = new SplitSite(model, {
    session: 'f'.repeat(32),
    dtype: 'float32',
    optimizers: { bottom: adamOptimizer(0.01), head: adamOptimizer(0.01) },
  });
  const data = hijackTestData();
  const { held } = data;
  const validation = data.heldImages();
  const guard = new HijackGuard(CHECK, held.labels);
  let refusedAfterStop: unknown = null;
  try {
    for (let step = 0; step < STEPS; step++) {
      if (guard.due(step)) {
        const loss = await siteValidationLoss(model, validation, held.labels, trunk.evaluate);
        const verdict = guard.record(step, loss);
        if (verdict) {
          site.stop(verdict);
          break;
        }
      }
      const { index, images, labels } = data.batch(step);
      const up = await site.forwardBottom(step, index, images);
      images.dispose();
      const head = await site.headStep(await trunk.forwardTrunk(up), labels);
      await site.backwardBottom((await trunk.backwardTrunk(head.frame)).frame);
    }
    if (site.stopReason) {
      const probe = tf.zeros([1, SIDE, SIDE, 1]) as tf.Tensor4D;
      refusedAfterStop = await site.forwardBottom(STEPS, 0, probe).then(
        () => null,
        (error: unknown) => error,
      );
      probe.dispose();
    }
    return { readings: guard.history.map((r) => r.loss), stopped: site.stopReason, refusedAfterStop };
  } finally {
    validation.dispose();
    site.dispose();
    [model, hubModel, encoderModel].forEach((m) => m.dispose());
  }
}

describe('the hijack check (SplitGuard-style rule on the site\u2019s validation loss)', () => {
  it('stops a session whose hub returns gradients of another objective (simulated FSHA hub), in words', async () => {
    const { readings, stopped, refusedAfterStop } = await session(
      (hubModel) => new HijackingTrunk(hubModel, createModel('resnet-small-gn', { ...CONFIG, seed: 99 })),
    );
    expect(readings.length).toBe(CHECK.warmupChecks);
    expect(stopped).toBeInstanceOf(SplitDefenceError);
    expect((stopped as SplitDefenceError).code).toBe('hub-hijack-suspected');
    expect(stopped!.message).toMatch(
      /^Split learning was stopped at this site: after 36 steps, its loss on the 32 images it held back is no better than chance/,
    );
    expect(stopped!.message).toMatch(/towards something other than the task \(a hijacked session\)/);
    expect(refusedAfterStop).toBe(stopped);
  }, 300_000);

  it('lets an honest hub\u2019s session run to the end: its validation loss falls', async () => {
    const { readings, stopped } = await session(honestTrunk);
    expect(stopped).toBeNull();
    expect(readings.length).toBe(STEPS / CHECK.checkEvery);
    expect(Math.min(...readings)).toBeLessThan(Math.LN2 * 0.9);
  }, 300_000);
});

describe('the hijack check\u2019s rule on its readings', () => {
  const labels = Int32Array.from({ length: 32 }, (_, i) => i % 2);

  it('takes the chance loss from the held-back labels (ln 2 for two equal classes)', () => {
    expect(new HijackGuard(CHECK, labels).chanceLoss).toBeCloseTo(Math.LN2, 10);
  });

  it('stops a session whose loss climbs back above its best for `patience` checks in a row', () => {
    const guard = new HijackGuard(CHECK, labels);
    const readings = [0.69, 0.6, 0.5, 0.4, 0.3, 0.45, 0.2, 0.4, 0.41];
    readings.forEach((loss, i) => expect(guard.record(i * 4, loss)).toBeNull());
    const verdict = guard.record(36, 0.42);
    expect(verdict?.code).toBe('hub-hijack-suspected');
    expect(verdict?.message).toMatch(
      /has climbed back above its best \(0\.200\) by more than 25% for 3 checks in a row/,
    );
    expect(verdict?.hint).toMatch(/Tell the federation coordinator and the privacy officer/);
  });

  it('stops at once on a loss that is not a number', () => {
    const verdict = new HijackGuard(CHECK, labels).record(0, Number.NaN);
    expect(verdict?.message).toMatch(/is no longer a number at step 0/);
  });
});
