// A compromised hub, on loopback: a real hub whose database is changed between the site's looks (the
// plan of a round, who survived) serves a real site's client a secure-aggregation plan the approved
// task does not allow. The site refuses before it gives what the plan would take: no key shares for a
// tiny clip range or for a plan that counts a site its neighbourhood does not hold (a sybil), no
// unmask shares when the hub calls an honest site dropped to leave a sum of two. Each refusal is in the
// site's audit log (a real site database), thrown as a plain sentence for the operator, and nothing of
// that step reached the hub. The spec holds the site's round polls while it changes the hub, so no
// timing luck decides what the site sees.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeWeights,
  taskDefinitionSchema,
  type NamedTensor,
  type SecAggPlan,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import { planValuesFor } from '../../../shared/node/secagg/index.ts';
import { type HubClient } from '../../../shared/node/federation/index.ts';
import { createTask } from '../../../hub/index.ts';
import { SecAggRows } from '../../../hub/secagg/index.ts';
import { SecureTestSite } from '../../../hub/testing/secure-test-site.ts';
import {
  makeTestHubWithSites,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from '../../../hub/testing/test-hub.ts';
import { AuditLog, auditSentence } from '../audit/index.ts';
import { initSite, openSite, type Site } from '../store/index.ts';
import { FEDERATION_PLAN_REFUSED, auditHubPlanRefused } from './plan-refusal-audit.ts';
import type { HubPlanRefusal } from './secagg-plan-check.ts';
import { takePartInSecureRound } from './secagg-round.ts';
import type { SyncEvent } from './sync-events.ts';
import { SyncError } from './sync-error.ts';
import { heldUp } from './testing/held-up-client.ts';

let testHub: TestHub | undefined;
const folders: string[] = [];
const sites: Site[] = [];
afterEach(async () => {
  await testHub?.cleanup();
  testHub = undefined;
  for (const site of sites.splice(0)) site.database.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const deltaOf = (base: readonly NamedTensor[], index: number): NamedTensor[] =>
  base.map((t) => ({ ...t, data: t.data.map((_, i) => Math.sin(index * 5 + i) * 0.05) }));

/** A gate the site's round polls wait at while closed. */
function gate() {
  let open: () => void = () => undefined;
  let closed: Promise<void> | null = null;
  return {
    close: () => {
      closed = new Promise<void>((resolve) => (open = resolve));
    },
    open: () => {
      closed = null;
      open();
    },
    wait: () => closed ?? Promise.resolve(),
  };
}

/**
 * Three sites and a secure task of quorum 3 (whole-round neighbourhoods): "Guarded" is the site under
 * test, a real site folder taking part through takePartInSecureRound with a held-up client; the other
 * two take part by hand.
 */
async function hostileRound() {
  const made = await makeTestHubWithSites(['Guarded', 'Other B', 'Other C']);
  testHub = made.test;
  const { hub } = testHub;
  const base = testWeights(3);
  const input = testTask({
    rounds: 1,
    quorum: 3,
    privacy: { secureAggregation: { clipRange: 0.5, bits: 12, phaseSeconds: 30 } },
  });
  const definition: TaskDefinition = taskDefinitionSchema.parse(input);
  const taskId = (await createTask(hub.ctx, input, encodeWeights(base))).id;
  for (const client of made.clients) await client.joinTask(taskId);
  await waitFor(
    hub,
    async () => (await hub.ctx.store.tasks.latestRound(taskId))?.state === 'collecting',
    'collection',
  );
  const folder = mkdtempSync(join(tmpdir(), 'radfed-hostile-plan-'));
  folders.push(folder);
  mkdirSync(join(folder, 'round-1')); // the task runner's round folder, made before a round starts
  initSite(join(folder, 'site'), { name: 'Guarded', deidOptions: [], consentPolicy: 'opt-out' });
  const site = openSite(join(folder, 'site'));
  sites.push(site);
  const guarded: HubClient = made.clients[0];
  const others = [made.clients[1], made.clients[2]].map((c) => new SecureTestSite(c, taskId, 1));
  const rows = new SecAggRows(hub.ctx.store.sql);
  const events: SyncEvent[] = [];
  const refusals: HubPlanRefusal[] = [];
  const polls = gate();
  /** The guarded site's part in round 1, through the real function, told of refusals as round-work tells it. */
  const takePart = () => {
    const controller = new AbortController();
    return takePartInSecureRound(
      {
        client: heldUp(guarded, polls.wait),
        taskId,
        definition,
        signal: controller.signal,
        retry: { signal: controller.signal, baseMs: 50, maxMs: 200, attempts: 5 },
      },
      {
        round: 1,
        baseVersion: 0,
        dir: join(folder, 'round-1'),
        update: { delta: deltaOf(base, 0), examples: 5, clipBit: null },
        onUploadId: () => undefined,
        onPlanRefused: (refusal) => {
          refusals.push(refusal);
          auditHubPlanRefused(
            { site, taskId, definition, clock: () => new Date(), emit: (e) => events.push(e), actor: 'spec' },
            refusal,
          );
        },
      },
    );
  };
  /** Rewrites the round's plan in the hub's database: what a compromised hub serves. */
  const servePlan = async (change: (plan: SecAggPlan) => SecAggPlan) => {
    const plan = JSON.parse((await rows.round(taskId, 1))!.plan!) as SecAggPlan;
    await hub.ctx.store.sql.run(
      'UPDATE secagg_rounds SET plan = @plan WHERE task_id = @taskId AND round = 1',
      {
        plan: JSON.stringify(change(plan)),
        taskId,
      },
    );
  };
  const phase = async (wanted: string) =>
    waitFor(hub, async () => (await others[0]!.view()).phase === wanted, `the ${wanted} phase`);
  const auditEntries = () => new AuditLog(site.database).list({ type: FEDERATION_PLAN_REFUSED });
  return {
    hub,
    taskId,
    base,
    guarded,
    others,
    rows,
    events,
    refusals,
    polls,
    takePart,
    servePlan,
    phase,
    auditEntries,
  };
}

/** The refusal the site threw: a SyncError with the operator's sentence. */
async function refusalOf(work: Promise<unknown>): Promise<SyncError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  expect((error as SyncError).code).toBe('plan-refused');
  return error as SyncError;
}

describe("a site checks the hub's secure-aggregation plan against the task it approved", () => {
  it('sends no key shares under a plan whose clip range would zero its update, and records why', async () => {
    const s = await hostileRound();
    s.polls.close(); // the site's next look comes once the hub has been changed
    const work = s.takePart();
    await waitFor(
      s.hub,
      async () => (await s.rows.participant(s.taskId, 1, s.guarded.siteId)) !== undefined,
      'its keys',
    );
    for (const other of s.others) await other.advertise();
    await s.phase('sharing');
    await s.servePlan((plan) => ({ ...plan, clipRange: 0.000001 }));
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(
      /clip range of the updates is 0\.000001 in the plan; the approved task says 0\.5/,
    );
    expect(error.message).toMatch(/sent no key shares/);
    expect(error.message).not.toMatch(/secagg|task_|\/tasks\//); // plain words: no code, path or id
    expect((await s.rows.participant(s.taskId, 1, s.guarded.siteId))?.shared_at).toBeNull();
    const entries = s.auditEntries();
    expect(entries.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        round: 1,
        phase: 'sharing',
        field: 'clipRange',
        planned: 0.000001,
        expected: 0.5,
      }),
    ]);
    expect(auditSentence(entries[0]!)).toMatch(
      /refused, its clip range \(0\.000001 where the approved task says 0\.5\)/,
    );
    expect(s.events).toEqual([]); // the entry was written: nothing to tell about the log itself
  }, 60_000);

  it('sends no key shares under a plan that counts a site its neighbourhood does not hold', async () => {
    const s = await hostileRound();
    s.polls.close();
    const work = s.takePart();
    await waitFor(
      s.hub,
      async () => (await s.rows.participant(s.taskId, 1, s.guarded.siteId)) !== undefined,
      'its keys',
    );
    for (const other of s.others) await other.advertise();
    await s.phase('sharing');
    // Four participants with every value right for four: a fourth seat (a sybil's) the view leaves out.
    const settings = { clipRange: 0.5, bits: 12 };
    await s.servePlan((plan) => ({ ...plan, participants: 4, ...planValuesFor(settings, 4) }));
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(
      /the neighbourhood the hub lists has 3 sites; the plan's neighbourhood size gives 4/,
    );
    expect(s.refusals).toMatchObject([{ field: 'participant-list', planned: 3, expected: 4 }]);
    expect((await s.rows.participant(s.taskId, 1, s.guarded.siteId))?.shared_at).toBeNull();
    expect(s.auditEntries()).toHaveLength(1);
  }, 60_000);

  it('gives no unmask shares when the hub calls an honest site dropped, leaving a sum of two', async () => {
    const s = await hostileRound();
    const work = heldAfterMasking(s);
    for (const other of s.others) await other.advertise();
    await s.phase('sharing');
    for (const other of s.others) await other.share();
    await s.phase('masking');
    await waitFor(
      s.hub,
      async () =>
        (await s.hub.ctx.store.uploads.acceptedUpdateOf(s.taskId, 1, s.guarded.siteId)) !== undefined,
      'its masked update',
    );
    for (const [i, other] of s.others.entries()) await other.mask(deltaOf(s.base, i + 1), 5, 0);
    await s.phase('unmasking');
    // Other C sent its masked update, but the hub tells the guarded site it dropped: the sum would be
    // the guarded site's and Other B's, below the task's quorum of 3.
    await s.hub.ctx.store.sql.run(
      'UPDATE secagg_participants SET survivor = 0 WHERE task_id = @taskId AND round = 1 AND site_id = @siteId',
      { taskId: s.taskId, siteId: s.others[1]!.client.siteId },
    );
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(/the hub would unmask a sum of 2 updates; the task needs 3 in a sum/);
    expect(error.message).toMatch(/gave no shares to unmask/);
    const guardedRow = await s.rows.participant(s.taskId, 1, s.guarded.siteId);
    expect(guardedRow?.revealed_at).toBeNull();
    expect((await s.rows.revealed(s.taskId, 1)).filter((r) => r.holder_site === s.guarded.siteId)).toEqual(
      [],
    );
    expect(s.auditEntries().map((e) => e.detail)).toEqual([
      expect.objectContaining({
        phase: 'unmasking',
        field: 'survivors',
        planned: 2,
        expected: 3,
        maskedInputSent: true,
      }),
    ]);
  }, 60_000);
});

/** The guarded site's part, its round polls held from the moment its masked update is at the hub. */
function heldAfterMasking(s: Awaited<ReturnType<typeof hostileRound>>) {
  let closedOnce = false;
  const original = s.polls.wait;
  // Read when takePart builds the site's client: the poll after its upload is the first one held.
  s.polls.wait = async () => {
    if (!closedOnce && (await s.hub.ctx.store.uploads.acceptedUpdateOf(s.taskId, 1, s.guarded.siteId))) {
      closedOnce = true;
      s.polls.close();
    }
    return original();
  };
  return s.takePart();
}
