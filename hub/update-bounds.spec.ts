// One hostile site against a real hub (fedavg, secure aggregation off): a finite but enormous update,
// then a claim of 9e15 examples. Before the bounds, the first made the signed global model v1 hold
// values of 3e37 and the second made v2 all infinity, after which every honest update was refused.
// Now the update is clipped (or refused) at the task's norm bound, the claim is refused against what
// the site declared when it joined, and a model that is not finite is never signed or served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipBitTensor, encodeWeights, isRunningStatistic } from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { loadServerState } from './aggregation-service.ts';
import { createTask } from './tasks.ts';
import { describeRoundNorms } from './update-bounds-check.ts';
import { refusal } from './testing/hub-refusal.ts';
import {
  makeTestHubWithSites,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  waitForCollecting,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub;
let sites: HubClient[];

beforeAll(async () => {
  ({ test, clients: sites } = await makeTestHubWithSites(['Mallory', 'Ash', 'Birch']));
});
afterAll(() => test.cleanup());

const COHORT = { train: 120, validation: 30 };
const HUGE = 3.4e38;
/**
 * A hostile update of `value` in every trained value. Its running statistics stay put: past their own
 * per-value bound (±64) they would be refused outright (update-bounds-statistics.spec.ts), and these
 * specs are about what the norm bound does with the rest.
 */
const trainedOnly = (value: number) => (name: string) => (isRunningStatistic(name) ? 0 : value);

async function newTask(overrides: Parameters<typeof testTask>[0], joiners = sites): Promise<string> {
  const id = (await createTask(test.hub.ctx, testTask(overrides), encodeWeights(testWeights(5)))).id;
  for (const site of joiners) await site.joinTask(id, COHORT);
  await waitForCollecting(test.hub, id);
  return id;
}

async function publishedWeights(client: HubClient, taskId: string, version: number) {
  const { weights } = await client.downloadModel(taskId, version);
  return weights.flatMap((tensor) => [...tensor.data]);
}

const maxAbs = (values: number[]) => values.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
const round = (taskId: string, number: number) => test.hub.ctx.store.tasks.round(taskId, number);

async function pastDeadline(taskId: string, number: number, state: 'published' | 'failed') {
  test.shiftClock(61_000);
  try {
    await waitFor(
      test.hub,
      async () => (await round(taskId, number))?.state === state,
      `round ${number} ${state}`,
    );
  } finally {
    test.shiftClock(-61_000);
  }
}

describe('update bounds against one hostile site', () => {
  it('clips a 3.4e38-per-weight update, refuses a claim of 9e15 examples, and the task goes on with finite models', async () => {
    const [mallory, ash, birch] = sites as [HubClient, HubClient, HubClient];
    const taskId = await newTask({ quorum: 2, rounds: 3 });

    // Step 1: a finite delta of 3.4e38 per weight, with a truthful example count.
    await sendDelta(mallory, taskId, trainedOnly(HUGE), COHORT.train);
    await sendDelta(ash, taskId, 0.01, COHORT.train);
    await sendDelta(birch, taskId, -0.01, COHORT.train);
    await waitFor(test.hub, async () => (await round(taskId, 1))?.state === 'published', 'round 1 published');
    const v1 = await publishedWeights(ash, taskId, 1);
    // The clipped update moves the model by at most 1000 / 3 in L2 (each value far less).
    expect(maxAbs(v1)).toBeLessThan(1000);
    const [hostile] = await test.hub.ctx.store.uploads.submissionsOfSite(taskId, mallory.siteId);
    expect(hostile).toMatchObject({ state: 'accepted', norm_action: 'clipped', norm_bound: 1000 });
    expect(hostile!.update_norm).toBeGreaterThan(1e39);

    // Step 2: the same site claims 9e15 examples: refused, recorded, and the others' round goes on.
    const claimed = await refusal(sendDelta(mallory, taskId, 0.5, 9e15));
    expect(claimed.hubCode).toBe('update-rejected');
    expect(claimed.message).toContain('declared 120 when it joined');
    await sendDelta(ash, taskId, 0.02, COHORT.train);
    await sendDelta(birch, taskId, 0.02, COHORT.train);
    await pastDeadline(taskId, 2, 'published');
    const v2 = await publishedWeights(ash, taskId, 2);
    expect(v2.every(Number.isFinite)).toBe(true);
    expect(maxAbs(v2)).toBeLessThan(1000);

    // Honest updates are still taken.
    await waitFor(
      test.hub,
      async () => (await round(taskId, 3))?.state === 'collecting',
      'round 3 collecting',
    );
    const honest = await sendDelta(ash, taskId, 0.01, COHORT.train);
    expect(honest.submission.state).toBe('accepted');
  });

  it('keeps FedAvgM velocity and cyclic transfer finite and small under the same attack, round after round', async () => {
    const [mallory, ash] = sites as [HubClient, HubClient];
    for (const strategy of [{ name: 'fedavgm' as const }, { name: 'cyclic' as const }]) {
      const taskId = await newTask({ quorum: 2, rounds: 2, strategy }, [mallory, ash]);
      for (const number of [1, 2]) {
        await waitFor(
          test.hub,
          async () => (await round(taskId, number))?.state === 'collecting',
          `round ${number} collecting`,
        );
        const turn = (await round(taskId, number))?.turn_site_id;
        if (turn === null || turn === mallory.siteId)
          await sendDelta(mallory, taskId, trainedOnly(HUGE), COHORT.train);
        if (turn === null || turn === ash.siteId) await sendDelta(ash, taskId, 0.01, COHORT.train);
        await waitFor(
          test.hub,
          async () => (await round(taskId, number))?.state === 'published',
          `round ${number} published`,
        );
      }
      const v2 = await publishedWeights(ash, taskId, 2);
      expect(maxAbs(v2), strategy.name).toBeLessThan(1000);
      const task = (await test.hub.ctx.store.tasks.task(taskId))!;
      const state = await loadServerState(test.hub.ctx, task);
      if (strategy.name === 'fedavgm') {
        const velocity = state?.kind === 'fedavgm' ? state.velocity.flatMap((t) => [...t.data]) : [];
        expect(velocity.length).toBeGreaterThan(0);
        expect(maxAbs(velocity)).toBeLessThan(1000 / (1 - 0.9));
      } else {
        expect(state).toBeNull();
      }
    }
  });

  it('refuses an update above maxUpdateNorm when the task says refuse, and records the norm of each', async () => {
    const [, ash, birch] = sites as [HubClient, HubClient, HubClient];
    const taskId = await newTask({ quorum: 2, maxUpdateNorm: 1, updateNormPolicy: 'refuse' }, [ash, birch]);
    // 66 values of 0.5, 58 of them trained (the 8 running statistics are not counted): norm ≈ 3.81.
    const refused = await refusal(sendDelta(ash, taskId, 0.5, 10));
    expect(refused.hubCode).toBe('update-rejected');
    expect(refused.message).toMatch(
      /L2 norm over its trained values .* is 3\.808.*above the task's bound of 1\.000/,
    );
    await sendDelta(birch, taskId, 0.1, 10); // norm ≈ 0.76
    const [ashRow] = await test.hub.ctx.store.uploads.submissionsOfSite(taskId, ash.siteId);
    const [birchRow] = await test.hub.ctx.store.uploads.submissionsOfSite(taskId, birch.siteId);
    expect(ashRow).toMatchObject({ state: 'rejected', norm_action: 'refused', norm_bound: 1 });
    expect(ashRow!.update_norm).toBeCloseTo(0.5 * Math.sqrt(58), 5);
    expect(birchRow).toMatchObject({ state: 'accepted', norm_action: 'within' });
    // What `radfed hub task show` says of the round, so the coordinator can set the bound.
    expect(await describeRoundNorms(test.hub.ctx, taskId, 1)).toBe(
      'norms 0.7616 to 3.808 (bound 1.000), 0 clipped, 1 refused',
    );
  });

  it('refuses more examples than the site declared, or than the task allows a site that declared none', async () => {
    const [, ash, birch] = sites as [HubClient, HubClient, HubClient];
    const id = (
      await createTask(
        test.hub.ctx,
        testTask({ quorum: 2, maxExamplesPerSite: 500 }),
        encodeWeights(testWeights(5)),
      )
    ).id;
    await ash.joinTask(id, { train: 40, validation: 10 });
    await birch.joinTask(id); // declares nothing: held to the task's cap
    await waitForCollecting(test.hub, id);
    expect((await refusal(sendDelta(ash, id, 0.01, 41))).message).toContain('declared 40');
    expect((await refusal(sendDelta(birch, id, 0.01, 501))).message).toContain(
      'more than the task allows one site (500)',
    );
    expect((await sendDelta(ash, id, 0.01, 40)).submission.state).toBe('accepted');
    expect((await sendDelta(birch, id, 0.01, 500)).submission.state).toBe('accepted');
  });

  it('refuses a noised clipping bit no site could send (it would drive the next clip norm to 0 or infinity)', async () => {
    const [mallory, ash] = sites as [HubClient, HubClient];
    const dp = {
      clipNorm: 1,
      noiseMultiplier: 1,
      budget: { epsilon: 100, delta: 1e-5 },
      adaptiveClipping: { bitNoiseMultiplier: 1 },
    };
    const taskId = await newTask(
      { quorum: 2, privacy: { secureAggregation: false, differentialPrivacy: dp } },
      [mallory, ash],
    );
    const withBit = async (client: HubClient, bit: number) => {
      const { weights, meta } = await client.downloadModel(taskId, 0);
      const delta = weights.map((t) => ({ ...t, data: t.data.map(() => 0.001) }));
      const sealed = client.seal({
        taskId,
        round: 1,
        kind: 'delta',
        weights: [...delta, clipBitTensor(bit)],
        baseVersion: meta.version,
        examples: 1,
        compression: 'none',
      });
      return client.uploadSealed(taskId, sealed);
    };
    const refused = await refusal(withBit(mallory, -1e6));
    expect(refused.message).toMatch(/clipping bit is outside what a site's noised bit can be \(±10\.50\)/);
    expect((await withBit(ash, 0.7)).submission.state).toBe('accepted');
  });

  it('never publishes a model that is not finite: the round fails with the reason, the previous model stays, the next round runs', async () => {
    const [mallory] = sites as [HubClient];
    // A coordinator who lifted the bound (and the hub's last check is all that is left).
    const taskId = await newTask({ quorum: 1, rounds: 3, maxUpdateNorm: 1e300 }, [mallory]);
    await sendDelta(mallory, taskId, trainedOnly(HUGE), 10);
    await waitFor(test.hub, async () => (await round(taskId, 1))?.state === 'published', 'round 1 published');
    expect(maxAbs(await publishedWeights(mallory, taskId, 1))).toBeGreaterThan(1e38); // finite, enormous
    await sendDelta(mallory, taskId, trainedOnly(HUGE), 10); // v1 + 3.4e38 overflows float32 (the 58 trained values)
    await waitFor(test.hub, async () => (await round(taskId, 2))?.state === 'failed', 'round 2 failed');
    expect((await round(taskId, 2))?.failure_reason).toMatch(
      /^Aggregation failed: The combined model has 58 values that are not finite .* not published and the previous global model stays current/,
    );
    expect((await test.hub.ctx.store.models.latestModel(taskId))?.version).toBe(1);
    expect((await mallory.getRound(taskId)).latestVersion).toBe(1);
    await waitFor(
      test.hub,
      async () => (await round(taskId, 3))?.state === 'collecting',
      'round 3 collecting',
    );
    await sendDelta(mallory, taskId, trainedOnly(-HUGE), 10);
    await waitFor(test.hub, async () => (await round(taskId, 3))?.state === 'published', 'round 3 published');
    expect((await publishedWeights(mallory, taskId, 2)).every(Number.isFinite)).toBe(true);
  });
});
