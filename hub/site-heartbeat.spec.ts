// Site heartbeats over a real hub: refused without a valid signature (the same headers-first checks as
// every site route), recorded with the site's state, read by the dashboard as online / idle / offline
// (offline only after three missed heartbeats), with the site's decisions on the tasks it may see; and
// the best model version by the federated evaluation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubRequestError, hubPaths } from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { siteSummaries, taskDetail } from './dashboard/index.ts';
import { removeSite } from './enrollment.ts';
import { bestModelVersion } from './model-registry.ts';
import { junkSignatureHeaders, sendRaw } from './server/testing/raw-sender.ts';
import { OFFLINE_AFTER_MS } from './site-heartbeat.ts';
import { createTask, joinTask } from './tasks.ts';
import { makeTestHubWithSites, testTask, type TestHub } from './testing/test-hub.ts';

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

const summary = async (client: HubClient) =>
  (await siteSummaries(test.hub.ctx)).find((s) => s.id === client.siteId)!;

describe('site heartbeat', () => {
  it('is refused unsigned or with a junk signature, and records nothing', async () => {
    const body = Buffer.from(JSON.stringify({ state: 'training' }));
    const base = {
      url: test.hub.url,
      caPem: test.hub.ctx.keys.caCertPem,
      method: 'POST',
      path: hubPaths.heartbeat,
      body,
    };
    const unsigned = await sendRaw({ ...base, headers: { 'content-type': 'application/json' } });
    expect(unsigned).toMatchObject({ status: 401, code: 'unsigned' });
    const junk = await sendRaw({
      ...base,
      headers: { 'content-type': 'application/json', ...junkSignatureHeaders(ash.siteId) },
    });
    expect(junk.status).toBe(401);
    expect((await test.hub.ctx.store.sites.site(ash.siteId))?.heartbeat_at).toBeNull();
  });

  it('marks an idle site idle, not offline, until three heartbeats are missed', async () => {
    const answer = await ash.sendHeartbeat({ state: 'idle' });
    expect(answer.nextInSeconds).toBe(60);
    expect(await summary(ash)).toMatchObject({ presence: 'idle', activity: 'nothing to do' });
    test.shiftClock(2 * 60_000); // two heartbeats missed
    expect((await summary(ash)).presence).toBe('idle');
    test.shiftClock(OFFLINE_AFTER_MS - 2 * 60_000);
    expect(await summary(ash)).toMatchObject({ presence: 'offline', activity: null });
    await ash.sendHeartbeat({ state: 'training' });
    expect(await summary(ash)).toMatchObject({ presence: 'online', activity: 'training' });
    await ash.sendHeartbeat({ state: 'waiting-for-approval' });
    expect(await summary(ash)).toMatchObject({
      presence: 'idle',
      activity: 'waiting for the operator to approve a task',
    });
  });

  it("records a site's decisions on the tasks it may see, and the task page says who declined", async () => {
    const open = await createTask(test.hub.ctx, testTask({ name: 'Open to all' }));
    const other = await createTask(
      test.hub.ctx,
      testTask({ name: 'Birch only', sites: ['Birch'], quorum: 1 }),
    );
    await ash.sendHeartbeat({
      state: 'idle',
      tasks: [
        { taskId: open.id, decision: 'declined' },
        { taskId: other.id, decision: 'approved' }, // a task Ash may not see: ignored
      ],
    });
    expect(await test.hub.ctx.store.sites.taskDecisions(other.id)).toEqual([]);
    await birch.joinTask(open.id, { train: 0, validation: 0 });
    const standings = (await taskDetail(test.hub.ctx, open.id)).sites;
    expect(standings.find((s) => s.name === 'Ash')?.standing).toBe('declined the task at the site');
    expect(standings.find((s) => s.name === 'Birch')?.standing).toBe(
      'cannot take part: no training images for these labels at the site',
    );
    await joinTask(test.hub.ctx, open.id, (await test.hub.ctx.store.sites.site(birch.siteId))!, {
      cohort: { train: 40, validation: 10 },
    });
    expect((await taskDetail(test.hub.ctx, open.id)).sites.find((s) => s.name === 'Birch')?.standing).toBe(
      'joined with 40 training and 10 validation images',
    );
  });

  it('is refused from a removed site', async () => {
    await removeSite(test.hub.ctx, birch.siteId);
    const refused = await birch.sendHeartbeat({ state: 'idle' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HubRequestError);
    expect((refused as HubRequestError).hubCode).toBe('unknown-site');
    expect((await summary(birch)).presence).toBe('removed');
  });
});

describe('best model version', () => {
  const model = (version: number, auc: number | null, loss: number | null) => ({
    version,
    metrics: { auc, loss },
  });

  it('is the highest AUC where any version has one', () => {
    expect(bestModelVersion([model(0, 0.5, 0.3), model(1, 0.8, 0.9), model(2, 0.7, 0.1)])).toEqual({
      version: 1,
      by: 'auc',
    });
  });

  it('is the lowest loss without AUC, and nothing before any evaluation', () => {
    expect(bestModelVersion([model(0, null, 0.7), model(1, null, 0.4), model(2, null, 0.6)])).toEqual({
      version: 1,
      by: 'loss',
    });
    expect(bestModelVersion([model(0, null, null)])).toBeNull();
  });
});
