// A compromised hub on loopback, for the specs of what a site refuses (secagg-hostile-plan.spec.ts,
// secagg-changed-plan.spec.ts): a real hub whose database the spec changes between the site's looks,
// three sites of a secure task of quorum 3, the guarded one a real site folder taking part through
// takePartInSecureRound with its round polls held at a gate while the spec changes the hub.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  encodeWeights,
  taskDefinitionSchema,
  type NamedTensor,
  type SecAggPlan,
  type TaskDefinition,
} from '../../../../shared/federation/index.ts';
import { type HubClient } from '../../../../shared/node/federation/index.ts';
import { createTask } from '../../../../hub/index.ts';
import { SecAggRows } from '../../../../hub/secagg/index.ts';
import { SecureTestSite } from '../../../../hub/testing/secure-test-site.ts';
import {
  makeTestHubWithSites,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from '../../../../hub/testing/test-hub.ts';
import { AuditLog } from '../../audit/index.ts';
import { initSite, openSite, type Site } from '../../store/index.ts';
import { FEDERATION_PLAN_REFUSED, auditHubPlanRefused } from '../plan-refusal-audit.ts';
import type { HubPlanRefusal } from '../secagg-plan-check.ts';
import { takePartInSecureRound } from '../secagg-round.ts';
import type { SyncEvent } from '../sync-events.ts';
import { SyncError } from '../sync-error.ts';
import { heldUp } from './held-up-client.ts';

let testHub: TestHub | undefined;
const folders: string[] = [];
const sites: Site[] = [];
/** Stops the hub and removes the site folders of the rounds made since the last call (afterEach). */
export async function cleanupHostileRounds(): Promise<void> {
  await testHub?.cleanup();
  testHub = undefined;
  for (const site of sites.splice(0)) site.database.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

export const deltaOf = (base: readonly NamedTensor[], index: number): NamedTensor[] =>
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
export async function hostileRound() {
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
export async function refusalOf(work: Promise<unknown>): Promise<SyncError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  expect((error as SyncError).code).toBe('plan-refused');
  return error as SyncError;
}

/** A round made by hostileRound. */
export type HostileRound = Awaited<ReturnType<typeof hostileRound>>;

/** The guarded site's part, its round polls held from the moment its masked update is at the hub. */
export function heldAfterMasking(s: HostileRound) {
  return heldAfter(
    s,
    async () => (await s.hub.ctx.store.uploads.acceptedUpdateOf(s.taskId, 1, s.guarded.siteId)) !== undefined,
  );
}

/** The guarded site's part, its round polls held from the moment its key shares are at the hub. */
export function heldAfterSharing(s: HostileRound) {
  return heldAfter(
    s,
    async () => (await s.rows.participant(s.taskId, 1, s.guarded.siteId))?.shared_at != null,
  );
}

/** The guarded site's part, its round polls held from the first poll after `done` holds. */
function heldAfter(s: HostileRound, done: () => Promise<boolean>) {
  let closedOnce = false;
  const original = s.polls.wait;
  // Read when takePart builds the site's client: the poll after the step is the first one held.
  s.polls.wait = async () => {
    if (!closedOnce && (await done())) {
      closedOnce = true;
      s.polls.close();
    }
    return original();
  };
  return s.takePart();
}
