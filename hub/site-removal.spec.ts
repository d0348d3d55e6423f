// What removing a site does to its rounds, over a real hub: an open round stops waiting for it (it
// publishes with the others' updates at once instead of at its deadline), while its past updates stay
// in the task's history and model card.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { exportModelFiles, taskDetail } from './dashboard/index.ts';
import { removeSite } from './enrollment.ts';
import { createTask } from './tasks.ts';
import {
  makeTestHubWithSites,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub;
let ash: HubClient;
let birch: HubClient;

beforeAll(async () => {
  ({
    test,
    clients: [ash, birch],
  } = await makeTestHubWithSites(['Ash', 'Birch']));
});
afterAll(() => test.cleanup());

describe('removing a site', () => {
  it('lets an open round go on without it, and keeps its past updates in the history', async () => {
    const { hub } = test;
    // Quorum 1 and a long deadline: a round closes early only when every joined site has sent.
    const task = await createTask(
      hub.ctx,
      testTask({ rounds: 3, quorum: 1, roundDeadlineSeconds: 3600 }),
      encodeWeights(testWeights(3)),
    );
    await ash.joinTask(task.id);
    await birch.joinTask(task.id);
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.round(task.id, 1))?.state === 'collecting',
      'round 1',
    );
    await sendDelta(ash, task.id, 0.01, 10);
    await sendDelta(birch, task.id, 0.02, 20);
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.round(task.id, 1))?.state === 'published',
      'round 1 published',
    );
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.round(task.id, 2))?.state === 'collecting',
      'round 2',
    );

    await sendDelta(ash, task.id, 0.01, 10);
    await hub.advance();
    expect((await hub.ctx.store.tasks.round(task.id, 2))?.state).toBe('collecting'); // waits for Birch
    await removeSite(hub.ctx, birch.siteId);
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.round(task.id, 2))?.state === 'published',
      'round 2 published',
    );

    const detail = await taskDetail(hub.ctx, task.id);
    expect(detail.participation.sites.map((site) => site.name)).toEqual(['Ash', 'Birch']);
    expect(detail.participation.examples[0]).toEqual([10, 20]);
    expect(detail.summary.joinedSites).toBe(1);
    const card = JSON.parse(
      String((await exportModelFiles(hub.ctx, task.id, 2)).files.get('model-card.json')),
    );
    expect(card.sites).toMatchObject([
      { name: 'Ash', acceptedUpdates: 2 },
      { name: 'Birch', acceptedUpdates: 1 },
    ]);
  });
});
