// The federation loop against a real hub: approval required, a full round with two sites (real
// ingest, real training on tiny images, sealed uploads, aggregation, evaluation, participation).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopTask } from '../../../hub/index.ts';
import { AuditLog } from '../audit/index.ts';
import { openSite } from '../store/index.ts';
import {
  approveTask,
  describeSyncEvent,
  enrollSiteWithHub,
  listApprovals,
  reviewTask,
  runFederation,
  SyncError,
  type SyncEvent,
} from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 2, patients: 8 });
  for (const site of fixture.sites) {
    await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
  }
}, 60_000);
afterAll(async () => {
  await fixture?.cleanup();
});

describe('approval', () => {
  it('describes the task in plain words and records the approval with an audit entry', async () => {
    const taskId = await fixture.createTask({ name: 'described', compression: 'int8', rounds: 4 });
    const review = await reviewTask(fixture.sites[0]!.dir, 'described');
    const text = review.summary.join('\n');
    expect(review.view.id).toBe(taskId);
    expect(text).toMatch(/Model: resnet-small, 0\.\d\d M weights/);
    expect(text).toMatch(/Rounds: 4/);
    expect(text).toMatch(
      /model update of about [\d.]+ MB: the change to the global model, compressed to 8-bit integers/,
    );
    expect(text).toMatch(/encrypted to the hub\u2019s key/);
    expect(text).toMatch(/Never images/);
    expect(text).toMatch(
      /Trains on this site\u2019s task "chest-nodule": \d+ training and \d+ validation images/,
    );
    const approved = await approveTask(fixture.sites[0]!.dir, taskId, { actor: 'test' });
    expect(approved.approval.cohortTaskId).toBe('chest-nodule');
    const site = openSite(fixture.sites[0]!.dir);
    try {
      expect(listApprovals(site.database).map((a) => a.taskId)).toContain(taskId);
      const audit = new AuditLog(site.database).list({ type: 'federation.task-approved' });
      expect(audit.at(-1)?.detail).toMatchObject({
        taskId,
        cohortTaskId: 'chest-nodule',
        compression: 'int8',
      });
    } finally {
      site.database.close();
    }
  });

  it('refuses a task whose labels no site task has', async () => {
    const taskId = await fixture.createTask({ name: 'other labels', labels: ['absent', 'present'] });
    await expect(approveTask(fixture.sites[1]!.dir, taskId)).rejects.toThrow(
      /labels are absent, present.*"chest-nodule" has normal, nodule/,
    );
  });

  it('trains for nothing that was not approved', async () => {
    const unapproved = await fixture.createTask({ name: 'not approved here' });
    const controller = new AbortController();
    // Site 2 approved nothing: the loop refuses to run rather than train for a task no one reviewed.
    await expect(
      runFederation({ siteDir: fixture.sites[1]!.dir, signal: controller.signal, untilDone: true }),
    ).rejects.toThrow(SyncError);
    const row = (await fixture.testHub.hub.ctx.store.sites.siteByName('Test Site 2'))!;
    expect(await fixture.testHub.hub.ctx.store.sites.hasJoined(unapproved, row.id)).toBe(false);
  });
});

describe('a federated round with two sites', () => {
  it('trains, uploads, aggregates, evaluates and records participation', async () => {
    // Site 1 approved a task above that site 2 never will: stop it, so "until done" means this one.
    for (const task of await fixture.testHub.hub.ctx.store.tasks.listTasks())
      await stopTask(fixture.testHub.hub.ctx, task.id);
    const taskId = await fixture.createTask({ name: 'one round', rounds: 1, quorum: 2 });
    for (const site of fixture.sites) await approveTask(site.dir, taskId);
    const events: SyncEvent[][] = [[], []];
    const controller = new AbortController();
    const runs = fixture.sites.map((site, i) =>
      runFederation({
        siteDir: site.dir,
        signal: controller.signal,
        untilDone: true,
        waitSeconds: 2,
        rescanMs: 500,
        backend: 'cpu',
        onEvent: (event) => events[i]!.push(event),
      }),
    );
    const summaries = await Promise.all(runs);
    const ctx = fixture.testHub.hub.ctx;
    // Other tasks of this hub (from the approval tests) are not this site's business here.
    for (const summary of summaries)
      expect(summary.tasks.find((t) => t.taskId === taskId)?.state).toBe('completed');
    const published = await ctx.store.models.latestModel(taskId);
    expect(published?.version).toBe(1);
    expect(await ctx.store.models.evaluations(taskId, 1)).toHaveLength(2);
    // Each site declared its cohort when it joined (the hub bounds the examples it claims by it).
    for (const evaluation of await ctx.store.models.evaluations(taskId, 1)) {
      const joined = await ctx.store.sites.joined(taskId, evaluation.site_id);
      expect(joined?.train_examples).toBeGreaterThan(0);
      expect(evaluation.n).toBe(joined?.validation_examples);
    }
    for (const [i, site] of fixture.sites.entries()) {
      const types = events[i]!.filter((e) => e.taskId === taskId).map((e) => e.type);
      expect(types).toEqual(
        expect.arrayContaining([
          'round-started',
          'trained',
          'submitted',
          'round-published',
          'evaluated',
          'task-ended',
        ]),
      );
      const submitted = events[i]!.find((e) => e.type === 'submitted' && e.taskId === taskId);
      expect(submitted && describeSyncEvent(submitted)).toMatch(/Round 1: update sent \([\d.]+ MB sealed\)/);
      const db = openSite(site.dir);
      try {
        const rows = db.database
          .prepare<[string], { pseudonym: string; round_id: string }>(
            'SELECT * FROM round_participation WHERE task_id = ?',
          )
          .all(taskId);
        const patients = db.database.prepare<[], number>('SELECT COUNT(*) FROM patients').pluck().get();
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.length).toBeLessThanOrEqual(patients ?? 0);
        expect(rows.every((r) => r.round_id === '1' && /^RF[0-9A-F]{16}$/.test(r.pseudonym))).toBe(true);
        // Nothing about a patient leaves the site or reaches the terminal: not in the events, not at the hub.
        const hubBytes = ['hub.db', 'hub.db-wal']
          .map((name) => join(fixture.testHub.dir, name))
          .filter((path) => existsSync(path))
          .map((path) => readFileSync(path).toString('latin1'))
          .join('');
        for (const { pseudonym } of rows) {
          expect(JSON.stringify(events[i])).not.toContain(pseudonym);
          expect(hubBytes).not.toContain(pseudonym);
        }
      } finally {
        db.database.close();
      }
    }
  }, 240_000);
});
