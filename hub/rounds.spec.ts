// The round state machine against a real hub: quorum and deadline (the hub's clock is moved past the
// deadline rather than waited for), a site vanishing mid-round, failed rounds, cyclic turns, an
// initial model sent by the first site, federated evaluation, and long-polling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, reportableLoss } from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { MAX_CONSECUTIVE_FAILED_ROUNDS } from './rounds.ts';
import { createTask, stopTask } from './tasks.ts';
import { refusal } from './testing/hub-refusal.ts';
import {
  makeTestHubWithSites,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub;
let sites: HubClient[];

beforeAll(async () => {
  ({ test, clients: sites } = await makeTestHubWithSites(['Ash', 'Birch', 'Cedar']));
});
afterAll(() => test.cleanup());

async function newTask(
  overrides: Parameters<typeof testTask>[0],
  joiners = sites,
  weights = true,
): Promise<string> {
  const id = (
    await createTask(test.hub.ctx, testTask(overrides), weights ? encodeWeights(testWeights(5)) : undefined)
  ).id;
  for (const site of joiners) await site.joinTask(id);
  await test.hub.advance();
  return id;
}

const round = (taskId: string, number: number) => test.hub.ctx.store.tasks.round(taskId, number);

describe('rounds', () => {
  it('a site that vanishes does not block the others past the deadline', async () => {
    const [ash, birch] = sites as [HubClient, HubClient];
    const taskId = await newTask({ quorum: 2, roundDeadlineSeconds: 60 });
    const a = await sendDelta(ash, taskId, 0.3, 10);
    await sendDelta(birch, taskId, -0.1, 30);
    await test.hub.advance();
    expect((await round(taskId, 1))?.state).toBe('collecting'); // Cedar joined and may still send
    test.shiftClock(61_000);
    try {
      await waitFor(
        test.hub,
        async () => (await round(taskId, 1))?.state === 'published',
        'round 1 published',
      );
    } finally {
      test.shiftClock(-61_000);
    }
    const published = await ash.downloadModel(taskId, 'latest');
    expect(published.meta.version).toBe(1);
    const expected = (0.3 * 10 - 0.1 * 30) / 40;
    published.weights.forEach((tensor, t) =>
      tensor.data.forEach((value, i) => expect(value).toBeCloseTo(a.base[t]!.data[i]! + expected, 6)),
    );
    expect((await round(taskId, 2))?.state).toBe('collecting');
  });

  it('aggregates as soon as every joined site has sent, before the deadline', async () => {
    const taskId = await newTask({ quorum: 2, rounds: 1 });
    for (const [i, site] of sites.entries()) await sendDelta(site, taskId, 0.01 * (i + 1), 5);
    await waitFor(
      test.hub,
      async () => (await test.hub.ctx.store.tasks.task(taskId))?.state === 'completed',
      'task completed',
    );
    expect((await round(taskId, 1))?.state).toBe('published');
    expect((await sites[0]!.getRound(taskId)).taskState).toBe('completed');
  });

  it('fails a round without quorum at the deadline, says why, refuses late updates and opens the next', async () => {
    const [ash, birch] = sites as [HubClient, HubClient];
    const taskId = await newTask({ quorum: 2, roundDeadlineSeconds: 30 });
    await sendDelta(ash, taskId, 0.2, 10);
    const { weights } = await birch.downloadModel(taskId, 0);
    const late = birch.seal({
      taskId,
      round: 1,
      kind: 'delta',
      weights,
      baseVersion: 0,
      examples: 10,
      compression: 'none',
    });
    test.shiftClock(31_000);
    try {
      await waitFor(test.hub, async () => (await round(taskId, 1))?.state === 'failed', 'round 1 failed');
      expect((await round(taskId, 1))?.failure_reason).toBe(
        'Only 1 of the 2 updates needed arrived before the deadline (no update from Birch, Cedar).',
      );
      const refused = await refusal(birch.uploadSealed(taskId, late));
      expect(refused.hubCode).toBe('round-not-collecting');
      expect(refused.message).toMatch(
        /Round 1 of task .* does not take updates \(round 2 is (open|collecting)\)/,
      );
    } finally {
      test.shiftClock(-31_000);
    }
    const next = await waitFor(test.hub, async () => await round(taskId, 2), 'round 2');
    expect(next.base_version).toBe(0); // the same global model: nothing was lost
  });

  it(`fails the task after ${MAX_CONSECUTIVE_FAILED_ROUNDS} failed rounds in a row`, async () => {
    const taskId = await newTask({ quorum: 3, roundDeadlineSeconds: 10 });
    let shifted = 0;
    try {
      for (let r = 1; r <= MAX_CONSECUTIVE_FAILED_ROUNDS; r += 1) {
        test.shiftClock(11_000);
        shifted += 11_000;
        await waitFor(
          test.hub,
          async () => (await round(taskId, r))?.state === 'failed',
          `round ${r} failed`,
        );
      }
      await waitFor(
        test.hub,
        async () => (await test.hub.ctx.store.tasks.task(taskId))?.state === 'failed',
        'task failed',
      );
    } finally {
      test.shiftClock(-shifted);
    }
    expect((await test.hub.ctx.store.tasks.task(taskId))?.failure_reason).toMatch(
      /3 rounds in a row failed; the last: Only 0 of the 3/,
    );
  });

  it('cyclic weight transfer: the model visits the joined sites in turn', async () => {
    const [ash, birch, cedar] = sites as [HubClient, HubClient, HubClient];
    const taskId = await newTask({ strategy: { name: 'cyclic' }, quorum: 1, rounds: 3 });
    const view = await birch.getRound(taskId);
    expect(view.turnSiteId).toBe(ash.siteId);
    expect(view.mayUpload).toBe(false);
    expect((await refusal(sendDelta(birch, taskId, 1, 1))).hubCode).toBe('not-your-turn');
    const first = await sendDelta(ash, taskId, 0.5, 7);
    await waitFor(test.hub, async () => await round(taskId, 2), 'round 2');
    expect((await cedar.getRound(taskId)).turnSiteId).toBe(birch.siteId);
    const v1 = await cedar.downloadModel(taskId, 1);
    v1.weights.forEach((tensor, t) =>
      tensor.data.forEach((value, i) => expect(value).toBeCloseTo(first.base[t]!.data[i]! + 0.5, 6)),
    );
    await sendDelta(birch, taskId, 0.25, 3);
    await waitFor(test.hub, async () => await round(taskId, 3), 'round 3');
    expect((await ash.getRound(taskId)).turnSiteId).toBe(cedar.siteId);
  });

  it('takes the initial model from the first joined site when the task has none', async () => {
    const [ash, birch] = sites as [HubClient, HubClient];
    const taskId = await newTask({ quorum: 2 }, [ash, birch], false);
    const view = await ash.getRound(taskId);
    expect(view).toMatchObject({ round: 1, state: 'open', needsInitialModel: true, mayUpload: false });
    const initial = testWeights(9);
    const sealed = ash.seal({
      taskId,
      round: 0,
      kind: 'initial',
      weights: initial,
      baseVersion: null,
      examples: 1,
      compression: 'none',
    });
    expect((await ash.uploadSealed(taskId, sealed)).submission.state).toBe('accepted');
    const second = birch.seal({
      taskId,
      round: 0,
      kind: 'initial',
      weights: testWeights(10),
      baseVersion: null,
      examples: 1,
      compression: 'none',
    });
    expect((await refusal(birch.uploadSealed(taskId, second))).hubCode).toBe('has-initial-model');
    await waitFor(test.hub, async () => (await round(taskId, 1))?.state === 'collecting', 'collecting');
    const model = await birch.downloadModel(taskId, 0);
    expect(Array.from(model.weights[0]!.data)).toEqual(Array.from(initial[0]!.data));
  });

  it("aggregates federated evaluation metrics weighted by each site's n", async () => {
    const [ash, birch, cedar] = sites as [HubClient, HubClient, HubClient];
    const taskId = await newTask({ quorum: 2 }, [ash, birch]);
    await ash.postMetrics(taskId, 0, { loss: 0.5, accuracy: 0.8, auc: 0.9, n: 100 });
    const metrics = await birch.postMetrics(taskId, 0, { loss: 1, accuracy: 0.6, auc: null, n: 300 });
    expect(metrics.accuracy).toBeCloseTo(0.65, 10);
    expect(metrics.loss).toBeCloseTo(0.875, 10);
    expect(metrics.auc).toBeCloseTo(0.9, 10); // only Ash reported an AUC
    expect(metrics).toMatchObject({ n: 400, sites: 2 });
    expect((await ash.getModelMeta(taskId, 0)).metrics.accuracy).toBeCloseTo(0.65, 10);
    expect(
      (await refusal(cedar.postMetrics(taskId, 0, { loss: 0, accuracy: 1, auc: 1, n: 1 }))).hubCode,
    ).toBe('not-joined');
  });

  it('refuses a diverged loss, and takes the loss a site reports for it (null), so a site is never refused round after round', async () => {
    const [ash] = sites as [HubClient, HubClient, HubClient];
    const taskId = await newTask({ quorum: 2 });
    const diverged = 3.4e15; // finite, as a float32 cross-entropy of a model whose weights blew up
    const refused = await refusal(
      ash.postMetrics(taskId, 0, { loss: diverged, accuracy: 0.5, auc: 0.5, n: 10 }),
    );
    expect(refused.hubCode).toBe('metrics-refused');
    for (const loss of [diverged, Number.POSITIVE_INFINITY, Number.NaN, 0.7]) {
      const reported = reportableLoss(loss);
      const metrics = await ash.postMetrics(taskId, 0, { loss: reported, accuracy: 0.5, auc: 0.5, n: 10 });
      expect(metrics.loss).toBe(loss === 0.7 ? 0.7 : null);
    }
  });

  it("long-polls: a waiting site hears of another site's update, and of a stopped task", async () => {
    const [ash, birch] = sites as [HubClient, HubClient];
    const taskId = await newTask({ quorum: 2, roundDeadlineSeconds: 600 });
    const before = await ash.getRound(taskId);
    const waiting = ash.getRound(taskId, { after: before.revision, waitSeconds: 30 });
    await sendDelta(birch, taskId, 0.1, 4);
    const after = await waiting;
    expect(after.revision).not.toBe(before.revision);
    expect(after.acceptedUpdates).toBe(1);
    const stopped = ash.getRound(taskId, { after: after.revision, waitSeconds: 30 });
    await stopTask(test.hub.ctx, taskId);
    expect(await stopped).toMatchObject({
      taskState: 'stopped',
      state: 'failed',
      failureReason: 'The coordinator stopped the task.',
    });
  });
});
