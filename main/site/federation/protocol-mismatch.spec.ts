// A site and a hub of releases that cannot work together, with a real hub on a loopback port and the
// real site agent: a hub upgraded past the site refuses it, and the site's loop says the hub's
// sentence (what hospital IT should install) once, in its events and on the console's status,
// without quick retries; a site refuses to enroll with a hub older than it can use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../shared/federation/index.ts';
import { HubClient } from '../../../shared/node/federation/index.ts';
import { startHub, type RunningHub } from '../../../hub/index.ts';
import { makeTestHub } from '../../../hub/testing/test-hub.ts';
import { FederationProgressTracker } from '../console/index.ts';
import { openSite } from '../store/index.ts';
import { recordApproval } from './approvals.ts';
import { loadEnrollment } from './enrollment-store.ts';
import { enrollSiteWithHub, runFederation, type SyncEvent } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;
let upgraded: RunningHub | undefined;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 2, withData: false });
}, 60_000);
afterAll(async () => {
  await upgraded?.close();
  await fixture?.cleanup();
});

describe('a site older than its hub', () => {
  it("is refused, and the loop says the hub's sentence once instead of retrying", async () => {
    const { dir } = fixture.sites[0]!;
    await enrollSiteWithHub({ siteDir: dir, token: (await fixture.testHub.hub.createToken()).token });
    const taskId = await fixture.createTask({ name: 'before the upgrade' });
    const view = await HubClient.fromEnrollment(loadEnrollment(dir)).getTask(taskId);
    const site = openSite(dir);
    try {
      recordApproval(site.database, { view, cohortTaskId: 'chest-nodule', actor: 'test' });
    } finally {
      site.database.close();
    }
    // The coordinator installs a release whose protocol this site's release does not speak.
    const { hub, dir: hubDir } = fixture.testHub;
    const port = hub.port;
    await hub.close();
    const next = PROTOCOL_VERSION + 1;
    upgraded = await startHub({
      dir: hubDir,
      port,
      logger: false,
      tickMs: 100,
      protocol: { protocol: next, oldestSite: next, release: '9.0.0' },
    });

    const events: SyncEvent[] = [];
    const console = new FederationProgressTracker();
    const stop = new AbortController();
    const run = runFederation({
      siteDir: dir,
      signal: stop.signal,
      rescanMs: 50,
      retryBaseMs: 10,
      retryMaxMs: 20,
      heartbeatMs: 60_000,
      onEvent: (event) => {
        events.push(event);
        console.record(event);
      },
    });
    const until = Date.now() + 20_000;
    while (!events.some((event) => event.type === 'problem') && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 25));
    // Twenty rescans' worth more: a transient failure would have been retried many times by now.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop.abort();
    await run;

    const problems = events.filter((event) => event.type === 'problem');
    expect(problems).toHaveLength(1);
    // (A connection kept alive to the hub before its restart may be cut once: that one is retried.)
    const after = events.slice(events.indexOf(problems[0]!));
    expect(after.filter((event) => event.type === 'retrying')).toEqual([]);
    for (const event of events) if (event.type === 'retrying') expect(event.message).not.toContain('RadFed');
    const message = problems[0]!.message;
    expect(message).toContain('This site runs an older RadFed than the hub');
    expect(message).toContain('Hospital IT should install RadFed 9.0.0');
    const status = console.snapshot({ enrolled: true, running: true, pausedByUser: false });
    expect(status.problem).toBe(message);
    expect(status.log.map((line) => line.text).join('\n')).toContain('install RadFed 9.0.0');
  }, 60_000);
});

describe('a hub older than the site', () => {
  it('is not enrolled with: the site says the hub must be upgraded', async () => {
    const older = await makeTestHub({ protocol: { protocol: 1, oldestSite: 1, release: '0.0.9' } });
    try {
      const refused = await enrollSiteWithHub({
        siteDir: fixture.sites[1]!.dir,
        token: (await older.hub.createToken()).token,
      }).then(
        () => null,
        (error: unknown) => error as Error,
      );
      expect(refused?.message).toContain('The hub runs an older RadFed than this site');
      expect(refused?.message).toContain('upgrade the hub');
      expect(await older.hub.ctx.store.sites.siteByName('Test Site 2')).toBeUndefined();
    } finally {
      await older.cleanup();
    }
  });
});
