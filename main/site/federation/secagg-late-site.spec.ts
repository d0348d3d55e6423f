// A site held up after sending its masked input (as a process waiting for a core on a busy machine):
// the other two reveal their shares, the hub publishes the round and opens the next before this site
// looks again. Its masked input is in the sum, so the round counts as submitted; it was reported as
// missed ("The hub moved on to another round"), and its patients' participation went unrecorded.
// And a site still masking when the hub closes the uploads gets a reason in plain words.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWeights, taskDefinitionSchema, type NamedTensor } from '../../../shared/federation/index.ts';
import { type HubClient } from '../../../shared/node/federation/index.ts';
import { createTask } from '../../../hub/index.ts';
import { SecureTestSite } from '../../../hub/testing/secure-test-site.ts';
import {
  enrollTestSite,
  makeTestHub,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from '../../../hub/testing/test-hub.ts';
import { takePartInSecureRound } from './secagg-round.ts';
import { heldUp } from './testing/held-up-client.ts';

let testHub: TestHub | undefined;
let folder: string | undefined;
afterEach(async () => {
  await testHub?.cleanup();
  testHub = undefined;
  if (folder) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
});

function deltaOf(base: readonly NamedTensor[], index: number): NamedTensor[] {
  return base.map((t) => ({ ...t, data: t.data.map((_, i) => Math.sin(index * 5 + i) * 0.05) }));
}

async function secureTask(hubOwner: TestHub, rounds: number, names = ['Late', 'Quick B', 'Quick C']) {
  const { hub } = hubOwner;
  const clients: HubClient[] = [];
  const siteIds: string[] = [];
  for (const name of names) {
    const { client, enrollment } = await enrollTestSite(hub, name);
    clients.push(client);
    siteIds.push(enrollment.siteId);
  }
  const base = testWeights(3);
  const input = testTask({
    rounds,
    quorum: 2,
    privacy: { secureAggregation: { neighbours: 3, clipRange: 0.5, bits: 12, phaseSeconds: 30 } },
  });
  const task = await createTask(hub.ctx, input, encodeWeights(base));
  for (const client of clients) await client.joinTask(task.id);
  await waitFor(
    hub,
    async () => (await hub.ctx.store.tasks.latestRound(task.id))?.state === 'collecting',
    'collection',
  );
  // The site checks the hub's plan against the task as approved (the same definition here).
  return { hub, taskId: task.id, clients, siteIds, base, definition: taskDefinitionSchema.parse(input) };
}

describe('a secure round at a site that is held up', () => {
  it('counts the round as submitted when the hub published it and opened the next before the site looked again', async () => {
    testHub = await makeTestHub();
    const { hub, taskId, clients, siteIds, base, definition } = await secureTask(testHub, 2);
    folder = mkdtempSync(join(tmpdir(), 'radfed-late-'));
    const quick = [clients[1]!, clients[2]!].map((client) => new SecureTestSite(client, taskId, 1));
    let heldOnce = false;
    const hold = async () => {
      if (heldOnce || !(await hub.ctx.store.uploads.acceptedUpdateOf(taskId, 1, siteIds[0]!))) return;
      heldOnce = true;
      // While this site waits for a core, the quick ones reveal and the hub closes the round.
      await waitFor(hub, async () => (await quick[0]!.view()).phase === 'unmasking', 'unmasking');
      for (const site of quick) await site.reveal();
      await waitFor(
        hub,
        async () => (await hub.ctx.store.tasks.latestRound(taskId))?.number === 2,
        'round 2 to open',
      );
    };
    const controller = new AbortController();
    const late = takePartInSecureRound(
      {
        client: heldUp(clients[0]!, hold),
        taskId,
        definition,
        signal: controller.signal,
        retry: { signal: controller.signal, baseMs: 50, maxMs: 200, attempts: 5 },
      },
      {
        round: 1,
        baseVersion: 0,
        dir: folder,
        update: { delta: deltaOf(base, 0), examples: 5, clipBit: null },
        onUploadId: () => undefined,
      },
    );
    for (const site of quick) await site.advertise();
    await waitFor(hub, async () => (await quick[0]!.view()).phase === 'sharing', 'the sharing phase');
    for (const site of quick) await site.share();
    await waitFor(hub, async () => (await quick[0]!.view()).phase === 'masking', 'the masking phase');
    for (const [i, site] of quick.entries()) await site.mask(deltaOf(base, i + 1), 5, 0);

    const outcome = await late;
    expect(heldOnce, 'the site was never held up: the test did not set up the race').toBe(true);
    expect((await hub.ctx.store.models.latestModel(taskId))?.version).toBe(1);
    expect(outcome.kind, outcome.kind === 'submitted' ? '' : outcome.reason).toBe('submitted');
  }, 60_000);

  it('tells a site still masking when the hub closed the uploads, in plain words, that nothing of its update was revealed', async () => {
    testHub = await makeTestHub();
    // Four sites: the three quick ones make a sum without it (a round planned for three or more never
    // sums two updates, each of which the other site could read).
    const { hub, taskId, clients, base, definition } = await secureTask(testHub, 1, [
      'Late',
      'Quick B',
      'Quick C',
      'Quick D',
    ]);
    folder = mkdtempSync(join(tmpdir(), 'radfed-late-'));
    const sites = clients.map((client) => new SecureTestSite(client, taskId, 1));
    for (const site of sites) await site.advertise();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'sharing', 'the sharing phase');
    for (const site of sites) await site.share();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'masking', 'the masking phase');
    for (const site of sites.slice(1)) await site.mask(deltaOf(base, 1), 5, 0);
    // The first site is still masking when the masking phase's deadline passes.
    testHub.shiftClock(2 * 60_000); // past the 30 s phase, within the signed requests' clock window
    await waitFor(hub, async () => (await sites[1]!.view()).phase === 'unmasking', 'unmasking');

    const controller = new AbortController();
    const outcome = await takePartInSecureRound(
      {
        client: clients[0]!,
        taskId,
        definition,
        signal: controller.signal,
        retry: { signal: controller.signal, baseMs: 50, maxMs: 200, attempts: 5 },
      },
      {
        round: 1,
        baseVersion: 0,
        dir: folder,
        update: { delta: deltaOf(base, 0), examples: 5, clipBit: null },
        onUploadId: () => undefined,
      },
    );
    expect(outcome.kind).toBe('missed');
    const reason = outcome.kind === 'missed' ? outcome.reason : '';
    expect(reason).toMatch(/still masking or sending its update when the hub closed the uploads/);
    expect(reason).toMatch(/Nothing of its update was revealed/);
    expect(reason).toMatch(/takes part in the next round/);
    // Plain words: no error code, no hub path, no task id.
    expect(reason).not.toMatch(/secagg|round-not-collecting|\/tasks\/|task_/);
  }, 60_000);
});
