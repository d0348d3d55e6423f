// The refusal as an operator meets it: a real site (real ingest and training) runs the federation loop
// for a secure task it approved; once its runner has checked the approval, the hub's stored task is
// changed behind its back (a clip range of 0.000001), so the hub plans the round with it. The site
// trains, sends its round keys, then refuses the plan: the loop tells the operator the problem in plain
// words, the site's audit log holds the refusal under the hub's name, and the hub has no key shares
// from it. Two sites take part by hand so that the round reaches its sharing phase.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SecAggRows } from '../../../hub/secagg/index.ts';
import { SecureTestSite } from '../../../hub/testing/secure-test-site.ts';
import { enrollTestSite, waitFor, waitForCollecting } from '../../../hub/testing/test-hub.ts';
import { AuditLog, auditSentence } from '../audit/index.ts';
import { openSite } from '../store/index.ts';
import { approveTask, describeSyncEvent, enrollSiteWithHub, runFederation, type SyncEvent } from './index.ts';
import { FEDERATION_PLAN_REFUSED } from './plan-refusal-audit.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 1, patients: 6 });
  await enrollSiteWithHub({
    siteDir: fixture.sites[0]!.dir,
    token: (await fixture.testHub.hub.createToken()).token,
  });
}, 90_000);
afterAll(async () => {
  await fixture?.cleanup();
});

it("tells the operator, and records, a plan the hub made from a task changed after the site's approval", async () => {
  const { hub } = fixture.testHub;
  const site = fixture.sites[0]!;
  const taskId = await fixture.createTask({
    name: 'secure refusal',
    rounds: 1,
    quorum: 3,
    privacy: { secureAggregation: { phaseSeconds: 30 } },
  });
  await approveTask(site.dir, taskId);
  const others: SecureTestSite[] = [];
  for (const name of ['Hand B', 'Hand C']) {
    const { client } = await enrollTestSite(hub, name);
    await client.joinTask(taskId);
    others.push(new SecureTestSite(client, taskId, 1));
  }
  const events: SyncEvent[] = [];
  const controller = new AbortController();
  const loop = runFederation({
    siteDir: site.dir,
    signal: controller.signal,
    waitSeconds: 2,
    rescanMs: 500,
    backend: 'cpu',
    retryBaseMs: 50,
    retryMaxMs: 200,
    onEvent: (event) => events.push(event),
  });
  try {
    await waitFor(hub, () => events.some((e) => e.type === 'task-started'), 'the task runner', 60_000);
    // The hub's copy of the task now says something else than the site approved.
    const row = (await hub.ctx.store.tasks.task(taskId))!;
    const changed = JSON.parse(row.definition) as { privacy: { secureAggregation: Record<string, unknown> } };
    changed.privacy.secureAggregation.clipRange = 0.000001;
    await hub.ctx.store.sql.run('UPDATE tasks SET definition = @definition WHERE id = @id', {
      definition: JSON.stringify(changed),
      id: taskId,
    });
    await waitForCollecting(hub, taskId);
    for (const other of others) await other.advertise();
    const problem = await waitFor(
      hub,
      () => events.find((e) => e.type === 'problem'),
      "the site's problem",
      120_000,
    );
    const line = describeSyncEvent(problem, () => 'secure refusal');
    expect(line).toMatch(
      /^Problem with task "secure refusal": Refused the hub's secure-aggregation plan for round 1: the clip range of the updates is 0\.000001 in the plan; the approved task says 0\.5/,
    );
    expect(line).toMatch(/tell the federation coordinator/);
    expect(line).not.toMatch(/secagg|task_|\/tasks\//);
    const rows = new SecAggRows(hub.ctx.store.sql);
    const siteId = (await rows.participants(taskId, 1)).find(
      (p) => !others.some((o) => o.client.siteId === p.site_id),
    );
    expect(siteId?.position, 'the site sent its round keys and was placed').not.toBeNull();
    expect(siteId?.shared_at).toBeNull();
  } finally {
    controller.abort();
    await loop.catch(() => undefined);
  }
  const opened = openSite(site.dir);
  try {
    const entries = new AuditLog(opened.database).list({ type: FEDERATION_PLAN_REFUSED });
    expect(entries.map(auditSentence)).toEqual([
      "Secure-aggregation plan of test hub for round 1 of 'secure refusal' refused, its clip range (0.000001 where the approved task says 0.5): this site took no part in the round",
    ]);
  } finally {
    opened.database.close();
  }
}, 240_000);
