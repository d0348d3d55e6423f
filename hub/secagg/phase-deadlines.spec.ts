// Phase deadlines that scale with the task's rounds: the rule (a stretch of the slowest observed
// time, within the task's floor and a ceiling), and a real hub whose first secure round took long in
// training and masking (its clock moved on, as a busy machine's would) giving the second round longer
// waits for exactly those phases, the same when read by a second connection, as a restarted hub would.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWeights, taskDefinitionSchema, type NamedTensor } from '../../shared/federation/index.ts';
import { openHubContextFor } from '../hub-context.ts';
import { createTask } from '../tasks.ts';
import { SecureTestSite } from '../testing/secure-test-site.ts';
import {
  enrollTestSite,
  makeTestHub,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from '../testing/test-hub.ts';
import {
  DEADLINE_STRETCH,
  observedPhaseSeconds,
  phaseDeadlineSeconds,
  phaseWaitBounds,
  TRAINING_CEILING_FACTOR,
} from './phase-deadlines.ts';
import { SecAggRows } from './secagg-rows.ts';

let testHub: TestHub | undefined;
afterEach(async () => {
  await testHub?.cleanup();
  testHub = undefined;
});

const secure = { neighbours: 3, clipRange: 0.5, bits: 12, phaseSeconds: 60 };

describe('the deadline rule', () => {
  const definition = taskDefinitionSchema.parse(
    testTask({ roundDeadlineSeconds: 300, privacy: { secureAggregation: secure } }),
  );

  it('waits the task’s own setting until rounds have been observed, and when they were quick', () => {
    expect(phaseDeadlineSeconds(phaseWaitBounds('advertising', definition), [])).toBe(300);
    expect(phaseDeadlineSeconds(phaseWaitBounds('masking', definition), [])).toBe(60);
    expect(phaseDeadlineSeconds(phaseWaitBounds('masking', definition), [2, 5, 3])).toBe(60);
  });

  it('stretches the slowest observed time when rounds took longer than the setting allows for', () => {
    expect(phaseDeadlineSeconds(phaseWaitBounds('masking', definition), [10, 41, 30])).toBe(
      Math.ceil(DEADLINE_STRETCH * 41),
    );
    expect(phaseDeadlineSeconds(phaseWaitBounds('advertising', definition), [150, 120])).toBe(450);
  });

  it('never waits beyond the ceiling: a round deadline for one phase, a few round deadlines for training', () => {
    expect(phaseWaitBounds('unmasking', definition)).toEqual({ floorSeconds: 60, ceilingSeconds: 300 });
    expect(phaseDeadlineSeconds(phaseWaitBounds('unmasking', definition), [5000])).toBe(300);
    expect(phaseDeadlineSeconds(phaseWaitBounds('advertising', definition), [5000])).toBe(
      300 * TRAINING_CEILING_FACTOR,
    );
  });
});

function deltaOf(base: readonly NamedTensor[], index: number): NamedTensor[] {
  return base.map((t) => ({ ...t, data: t.data.map((_, i) => Math.cos(index * 3 + i) * 0.05) }));
}

describe('deadlines at a real hub', () => {
  it('gives the next round longer waits for the phases that took long, from what the hub stored', async () => {
    testHub = await makeTestHub();
    const owner = testHub;
    const { hub } = owner;
    let offset = 0;
    // Hub and sites see the same clock, moved on as a slow round would move it.
    const later = (ms: number) => {
      offset += ms;
      owner.shiftClock(ms);
    };
    const clients = [];
    for (const name of ['Slow A', 'Slow B', 'Slow C'])
      clients.push((await enrollTestSite(hub, name, { now: () => Date.now() + offset })).client);
    const base = testWeights(5);
    const task = await createTask(
      hub.ctx,
      testTask({ rounds: 2, quorum: 3, roundDeadlineSeconds: 300, privacy: { secureAggregation: secure } }),
      encodeWeights(base),
    );
    for (const client of clients) await client.joinTask(task.id);
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.latestRound(task.id))?.state === 'collecting',
      'round 1',
    );
    const rows = new SecAggRows(hub.ctx.store.sql);
    const waitOf = async (round: number) => {
      const row = (await rows.round(task.id, round))!;
      return (Date.parse(row.deadline_at) - Date.parse(row.phase_started_at)) / 1000;
    };
    const phaseIs = async (site: SecureTestSite, phase: string) => (await site.view()).phase === phase;

    const one = clients.map((client) => new SecureTestSite(client, task.id, 1));
    // Nothing observed yet: the task's round deadline, set when the round opened (a clock reading or
    // two before the first phase's start, hence the millisecond's leeway).
    expect(await waitOf(1)).toBeCloseTo(300, 1);
    later(150_000); // training took 150 s
    for (const site of one) await site.advertise();
    await waitFor(hub, () => phaseIs(one[0]!, 'sharing'), 'sharing');
    for (const site of one) await site.share();
    await waitFor(hub, () => phaseIs(one[0]!, 'masking'), 'masking');
    later(40_000); // masking took 40 s
    for (const [i, site] of one.entries()) await site.mask(deltaOf(base, i), 4, 0);
    await waitFor(hub, () => phaseIs(one[0]!, 'unmasking'), 'unmasking');
    for (const site of one) await site.reveal();
    await waitFor(hub, async () => (await hub.ctx.store.tasks.latestRound(task.id))?.number === 2, 'round 2');
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.latestRound(task.id))?.state === 'collecting',
      'round 2',
    );

    const seen = await observedPhaseSeconds(hub.ctx.store, task.id, 2);
    expect(seen.advertising[0]).toBeGreaterThanOrEqual(150);
    expect(seen.masking[0]).toBeGreaterThanOrEqual(40);
    // Training took 150 s of a 300 s deadline: the next round waits 3 × 150 s for keys.
    expect(await waitOf(2)).toBeGreaterThanOrEqual(450);
    expect(await waitOf(2)).toBeLessThanOrEqual(300 * TRAINING_CEILING_FACTOR);

    const two = clients.map((client) => new SecureTestSite(client, task.id, 2));
    for (const site of two) await site.advertise();
    await waitFor(hub, () => phaseIs(two[0]!, 'sharing'), 'sharing in round 2');
    expect(await waitOf(2)).toBeGreaterThanOrEqual(60); // sharing was quick: the task's phaseSeconds
    expect(await waitOf(2)).toBeLessThan(120);
    for (const site of two) await site.share();
    await waitFor(hub, () => phaseIs(two[0]!, 'masking'), 'masking in round 2');
    expect(await waitOf(2)).toBeGreaterThanOrEqual(120); // masking took 40 s: 3 × 40 s

    // Read again through a second connection, as a restarted hub would: the same observations.
    const reopened = await openHubContextFor(owner.dir);
    try {
      expect(await observedPhaseSeconds(reopened.store, task.id, 2)).toEqual(seen);
    } finally {
      await reopened.store.close();
    }
  }, 90_000);
});
