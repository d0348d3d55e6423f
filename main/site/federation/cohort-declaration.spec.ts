// A site's cohort grows while its agent runs (new labels, an import): the hub bounds the examples
// behind each update by what the site declared when it joined, so the site must declare again before
// an update claims more, or the hub refuses the update and the site misses the round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSite } from '../store/index.ts';
import { approveTask, enrollSiteWithHub, runFederation, type SyncEvent } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 1, patients: 8 });
  await enrollSiteWithHub({
    siteDir: fixture.sites[0]!.dir,
    token: (await fixture.testHub.hub.createToken()).token,
  });
}, 60_000);
afterAll(async () => {
  await fixture?.cleanup();
});

describe('the cohort a site declares', () => {
  it('follows the cohort as it grows between rounds, so the next update is accepted', async () => {
    const site = fixture.sites[0]!;
    const taskId = await fixture.createTask({
      name: 'growing cohort',
      rounds: 2,
      quorum: 1,
      privacy: { secureAggregation: false },
    });
    await approveTask(site.dir, taskId);
    // Half the labels are set aside before the agent starts and come back after round 1.
    type LabelRow = Record<string, unknown>;
    let setAside: LabelRow[] = [];
    const before = openSite(site.dir);
    try {
      const rows = before.database.prepare<[], LabelRow>('SELECT * FROM labels ORDER BY rowid').all();
      setAside = rows.slice(0, Math.floor(rows.length / 2));
      const remove = before.database.prepare('DELETE FROM labels WHERE rowid = ?');
      const ids = before.database
        .prepare<[], number>('SELECT rowid FROM labels ORDER BY rowid')
        .pluck()
        .all();
      for (const id of ids.slice(0, setAside.length)) remove.run(id);
    } finally {
      before.database.close();
    }
    expect(setAside.length).toBeGreaterThan(0);
    const restore = () => {
      const columns = Object.keys(setAside[0]!);
      const db = openSite(site.dir);
      try {
        const insert = db.database.prepare(
          `INSERT INTO labels (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
        );
        for (const row of setAside) insert.run(row);
      } finally {
        db.database.close();
      }
    };
    const events: SyncEvent[] = [];
    let restored = false;
    const summary = await runFederation({
      siteDir: site.dir,
      signal: new AbortController().signal,
      untilDone: true,
      waitSeconds: 2,
      rescanMs: 500,
      backend: 'cpu',
      onEvent: (event) => {
        events.push(event);
        if (!restored && event.type === 'round-published' && event.taskId === taskId) {
          restored = true;
          restore();
        }
      },
    });
    expect(restored).toBe(true);
    const problems = events.filter((e) => e.type === 'problem' && e.taskId === taskId);
    expect(problems).toEqual([]);
    expect(summary.tasks.find((t) => t.taskId === taskId)?.state).toBe('completed');
    const ctx = fixture.testHub.hub.ctx;
    expect((await ctx.store.models.latestModel(taskId))?.version).toBe(2);
    const row = (await ctx.store.sites.siteByName(site.name))!;
    const trained = events.filter((e) => e.type === 'trained' && e.taskId === taskId);
    const last = trained.at(-1);
    expect(last?.type === 'trained' && last.examples).toBe(
      (await ctx.store.sites.joined(taskId, row.id))?.train_examples,
    );
    expect(
      trained[0]?.type === 'trained' && last?.type === 'trained' && last.examples > trained[0].examples,
    ).toBe(true);
  });
});
