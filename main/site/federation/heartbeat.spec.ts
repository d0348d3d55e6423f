// The site's heartbeat against a real hub: `radfed site run`'s loop tells the hub it is alive while it
// has nothing to train (the dashboard shows it idle, not offline), says a task waits for approval,
// and reports the tasks the operator declined; the hub shows who declined on the task page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteSummaries, taskDetail } from '../../../hub/dashboard/index.ts';
import { AuditLog } from '../audit/index.ts';
import { openSite } from '../store/index.ts';
import { HubClient } from '../../../shared/node/federation/index.ts';
import { loadEnrollment } from './enrollment-store.ts';
import { sendSiteHeartbeat, startLoopHeartbeat } from './heartbeat.ts';
import { enrollSiteWithHub, runFederation } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 1, withData: false });
  await enrollSiteWithHub({
    siteDir: fixture.sites[0]!.dir,
    token: (await fixture.testHub.hub.createToken()).token,
  });
}, 60_000);
afterAll(async () => {
  await fixture?.cleanup();
});

describe('site heartbeat from the federation loop', () => {
  it('is sent while the site has no approved task, with a task waiting and a declined one', async () => {
    const { dir } = fixture.sites[0]!;
    const ctx = fixture.testHub.hub.ctx;
    const siteId = loadEnrollment(dir).siteId;
    const waiting = { id: await fixture.createTask({ name: 'waiting' }) };
    const declined = { id: await fixture.createTask({ name: 'declined' }) };
    const site = openSite(dir);
    try {
      new AuditLog(site.database).append({
        type: 'federation.task-declined',
        actor: 'test',
        detail: { taskId: declined.id, taskName: 'declined' },
      });
    } finally {
      site.database.close();
    }
    expect((await ctx.store.sites.site(siteId))?.heartbeat_at).toBeNull();
    const stop = new AbortController();
    const run = runFederation({ siteDir: dir, signal: stop.signal, rescanMs: 60_000 });
    const until = Date.now() + 20_000;
    while (!(await ctx.store.sites.site(siteId))?.heartbeat_at && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stop.abort();
    await run;
    expect(await ctx.store.sites.site(siteId)).toMatchObject({ heartbeat_state: 'waiting-for-approval' });
    const standings = (await taskDetail(ctx, declined.id)).sites;
    expect(standings[0]?.standing).toBe('declined the task at the site');
    expect((await taskDetail(ctx, waiting.id)).sites[0]?.standing).toBe(
      'not joined: a task waits for approval at the site',
    );
  });

  it('says "error" and that the site cannot take part in a task whose runner gave up', async () => {
    const { dir } = fixture.sites[0]!;
    const ctx = fixture.testHub.hub.ctx;
    const enrollment = loadEnrollment(dir);
    const taskId = await fixture.createTask({ name: 'labels differ' });
    const site = openSite(dir);
    const stop = new AbortController();
    try {
      const heartbeat = startLoopHeartbeat({
        client: HubClient.fromEnrollment(enrollment),
        db: site.database,
        signal: stop.signal,
        facts: () => ({ training: false, failing: true, cannotTakePart: new Set([taskId]) }),
      });
      await heartbeat.beat();
      heartbeat.stop();
    } finally {
      stop.abort();
      site.database.close();
    }
    expect((await ctx.store.sites.site(enrollment.siteId))?.heartbeat_state).toBe('error');
    expect((await taskDetail(ctx, taskId)).sites[0]?.standing).toMatch(
      /^cannot take part: the site cannot train for this task as approved/,
    );
  });

  it('can be sent by a paused site, whose loop is stopped: the hub shows it idle, paused', async () => {
    const { dir } = fixture.sites[0]!;
    const ctx = fixture.testHub.hub.ctx;
    await sendSiteHeartbeat(dir, 'paused');
    const siteId = loadEnrollment(dir).siteId;
    expect((await siteSummaries(ctx)).find((s) => s.id === siteId)).toMatchObject({
      presence: 'idle',
      activity: 'paused by the operator',
    });
  });
});
