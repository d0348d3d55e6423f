// The hijack check between a session's steps, over a real hub on a loopback port and a real signed
// WebSocket session: the site measures its held-back loss through the session's evaluation exchange
// (the hub's trunk in inference, no step opened) before every `checkEvery`-th step. A hub whose trunk
// returns gradients of its own objective (a simulated FSHA hub, testing/hijacking-trunk-engine.ts) is
// caught, the session stopped and nothing more sent; an honest hub's session runs to the end.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestSite, makeTestHub, type TestHub } from '../../../../hub/testing/test-hub.ts';
import type { SplitTrunkEngine } from '../../../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../../../shared/node/federation/index.ts';
import { SplitConnection } from '../../../../shared/node/split/index.ts';
import { selectBackend } from '../backend/index.ts';
import { createModel } from '../models/index.ts';
import { SplitDefenceError } from './defences/index.ts';
import { adamOptimizer, HubTrunk, SessionHijackCheck, SplitSessionRunner, SplitSite } from './index.ts';
import { HIJACK_TEST, hijackTestData } from './testing/hijack-scenario.ts';
import { HijackingTrunkEngine } from './testing/hijacking-trunk-engine.ts';

const { config: CONFIG, steps: STEPS, check: CHECK } = HIJACK_TEST;

let testHub: TestHub;
let north: SiteEnrollment;

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  testHub = await makeTestHub();
  north = (await enrollTestSite(testHub.hub, 'north')).enrollment;
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

/** Trains one site for STEPS steps against `engine` over a real session, with the hijack check on. */
async function guardedSession(taskId: string, engine: SplitTrunkEngine) {
  await testHub.hub.split.serveTrunk(taskId, engine);
  const model = createModel('resnet-small-gn', CONFIG);
  const session = randomBytes(16).toString('hex');
  const site = new SplitSite(model, {
    session,
    dtype: 'float32',
    optimizers: { bottom: adamOptimizer(0.01), head: adamOptimizer(0.01) },
  });
  const runner = new SplitSessionRunner({
    site,
    connect: () =>
      SplitConnection.open({
        hubUrl: north.hubUrl,
        caPem: north.caPem,
        siteId: north.siteId,
        signingPrivateKeyPem: north.signingPrivateKeyPem,
        taskId,
        session,
      }),
  });
  const data = hijackTestData();
  const heldImages = data.heldImages();
  // 12 images a frame: the held-back 32 cross in three evaluation frames, the last one short.
  const check = new SessionHijackCheck({
    site,
    runner,
    settings: CHECK,
    heldBack: { images: heldImages, labels: data.held.labels },
    imagesPerFrame: 12,
  });
  let verdict: SplitDefenceError | null = null;
  let stepsRun = 0;
  let refusedAfterStop: unknown = null;
  try {
    for (let step = 0; step < STEPS; step++) {
      verdict = await check.beforeStep(step);
      if (verdict) break;
      const { index, images, labels } = data.batch(step);
      await runner.step(step, index, images, labels);
      images.dispose();
      stepsRun += 1;
    }
    if (verdict) {
      const { index, images, labels } = data.batch(stepsRun);
      refusedAfterStop = await runner.step(stepsRun, index, images, labels).then(
        () => null,
        (error: unknown) => error,
      );
      images.dispose();
    }
    return { verdict, stepsRun, refusedAfterStop, readings: check.guard.history.map((r) => r.loss), site };
  } finally {
    runner.close();
    heldImages.dispose();
    site.dispose();
    model.dispose();
  }
}

describe('the hijack check between the steps of a real session', () => {
  it('catches a hub that trains the site towards its own encoder (FSHA-style): the session stops, in words, and nothing more reaches the hub', async () => {
    const engine = new HijackingTrunkEngine(
      createModel('resnet-small-gn', CONFIG),
      createModel('resnet-small-gn', { ...CONFIG, seed: 99 }),
    );
    const { verdict, stepsRun, refusedAfterStop, readings, site } = await guardedSession(
      'split-hijack',
      engine,
    );
    expect(verdict).toBeInstanceOf(SplitDefenceError);
    expect(verdict!.code).toBe('hub-hijack-suspected');
    expect(verdict!.message).toMatch(
      /^Split learning was stopped at this site: after \d+ steps, its loss on the 32 images it held back is no better than chance/,
    );
    expect(readings).toHaveLength(CHECK.warmupChecks);
    expect(stepsRun).toBe((CHECK.warmupChecks - 1) * CHECK.checkEvery);
    expect(site.stopReason).toBe(verdict);
    expect(refusedAfterStop).toBe(verdict);
    expect(engine.appliedSteps).toBe(stepsRun);
  }, 300_000);

  it('lets an honest hub\u2019s session run every step: the evaluation exchange reads a falling loss', async () => {
    const trunk = new HubTrunk(createModel('resnet-small-gn', CONFIG), {
      dtype: 'float32',
      optimizer: adamOptimizer(0.01),
    });
    const { verdict, stepsRun, readings } = await guardedSession('split-honest', trunk);
    expect(verdict).toBeNull();
    expect(stepsRun).toBe(STEPS);
    expect(readings).toHaveLength(STEPS / CHECK.checkEvery);
    expect(Math.min(...readings)).toBeLessThan(Math.LN2 * 0.9);
    expect(trunk.appliedSteps).toBe(STEPS); // evaluations opened no step and applied nothing
  }, 300_000);
});
