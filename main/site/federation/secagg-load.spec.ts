// Secure aggregation on a busy machine: three real sites (real ingest, real training on tiny images)
// run three SecAgg+ rounds against a real hub while busy-loop processes hold both cores. Every site's
// masked input is in every round's sum, and every site knows it (no round reported as missed). No
// timing is asserted: the load only makes the sites slow and uneven, as on a shared workstation.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SecAggRows } from '../../../hub/secagg/index.ts';
import { approveTask, enrollSiteWithHub, runFederation, type SyncEvent } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;
const load: ChildProcess[] = [];

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 3, patients: 6 });
  for (const site of fixture.sites) {
    await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
  }
}, 90_000);
afterAll(async () => {
  for (const child of load) child.kill('SIGKILL');
  await fixture?.cleanup();
});

function startCpuLoad(): void {
  // One spinning process per core (at least two), so the sites wait for a core as on a busy machine.
  const cores = Math.max(2, availableParallelism());
  for (let i = 0; i < cores; i += 1) {
    load.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
}

it('three sites take part in every secure round while both cores are busy', async () => {
  const rounds = 3;
  // A quorum of 2: the hub could go on without one site; every site must still be in every round.
  const taskId = await fixture.createTask({ name: 'secure under load', rounds, quorum: 2 });
  for (const site of fixture.sites) await approveTask(site.dir, taskId);
  const events: SyncEvent[][] = fixture.sites.map(() => []);
  const controller = new AbortController();
  startCpuLoad();
  const results = await Promise.all(
    fixture.sites.map((site, i) =>
      runFederation({
        siteDir: site.dir,
        signal: controller.signal,
        untilDone: true,
        waitSeconds: 2,
        rescanMs: 500,
        backend: 'cpu',
        retryBaseMs: 50,
        retryMaxMs: 500,
        onEvent: (event) => events[i]!.push(event),
      }),
    ),
  );
  for (const child of load.splice(0)) child.kill('SIGKILL');

  for (const result of results) expect(result.tasks[0]).toMatchObject({ taskId, state: 'completed' });
  const all = Array.from({ length: rounds }, (_, i) => i + 1);
  for (const [i, list] of events.entries()) {
    const story = list
      .filter((e) => e.type === 'missed' || e.type === 'problem' || e.type === 'submitted')
      .map((e) => `${e.type}${'reason' in e ? `: ${e.reason}` : ''}${'message' in e ? `: ${e.message}` : ''}`)
      .join(' | ');
    const submitted = list.flatMap((e) => (e.type === 'submitted' ? [e.round] : []));
    expect(submitted, `${fixture.sites[i]!.name}: ${story}`).toEqual(all);
    expect(
      list.filter((e) => e.type === 'missed'),
      story,
    ).toEqual([]);
  }
  const { ctx } = fixture.testHub.hub;
  const rows = new SecAggRows(ctx.store.sql);
  for (const round of all) {
    const participants = await rows.participants(taskId, round);
    expect(
      participants.map((p) => p.survivor),
      `round ${round}`,
    ).toEqual([1, 1, 1]);
  }
  expect((await ctx.store.models.latestModel(taskId))?.version).toBe(rounds);
}, 300_000);
