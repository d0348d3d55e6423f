// Split learning as a task, end to end: three real site agents (real ingest, real cohorts) and a real
// hub on a loopback port whose trunk is kept as `radfed hub serve` keeps it (TrunkKeeper). Each round
// every site trains its bottom and head step by step against the hub's trunk over its signed session,
// then sends the change to its segments under secure aggregation; the next round starts from the
// average. Checked: the task learns the synthetic nodule (the published segments with the hub's trunk,
// on the sites' held-out images), every step reached the trunk once, the uploads were masked and hold
// the segments only (about 5% of the model's values), the published trunk tensors are the initial ones;
// and a site that drops out mid-round does not stop the others.
import { expect, it } from 'vitest';
import { roundTensors } from '../../../shared/federation/index.ts';
import { SecAggRows } from '../../../hub/secagg/index.ts';
import { approveTask } from './index.ts';
import {
  expectLearnedNodule,
  movesBySide,
  publishedWeights,
  runSplitSites,
  runUntilCompleted,
  splitStory,
  useSplitFederation,
} from './testing/splitfed-run.ts';

/**
 * Three hospitals enrolled, and a fourth site never enrolled in a task: its whole cohort, never trained
 * on, joins the three hospitals' held-out images as the test set (their held-out images alone are about
 * 16, and an AUC over 16 images moves by 0.03 with one pair).
 */
const federation = useSplitFederation({ sites: 4, patients: 48, enrolled: 3 });

it('three sites learn the synthetic nodule by split learning, segments averaged under secure aggregation', async () => {
  const { fixture, keeper, enrolled: hospitals } = federation();
  const rounds = 4;
  const taskId = await fixture.createTask({
    name: 'split rounds',
    strategy: { name: 'splitfed', frameDtype: 'float16', labelSharing: false },
    rounds,
    localEpochs: 3,
    quorum: 3,
    optimizer: { name: 'adam', learningRate: 0.003, schedule: 'constant' },
  });
  const { ctx } = fixture.testHub.hub;
  expect(JSON.parse((await ctx.store.tasks.task(taskId))!.definition).privacy.secureAggregation.enabled).toBe(
    true,
  );
  for (const site of hospitals) await approveTask(site.dir, taskId);
  const events = await runUntilCompleted(hospitals, taskId);
  expect((await ctx.store.models.latestModel(taskId))?.version).toBe(rounds);

  // Every site's every step reached the trunk once, and went over its session both ways.
  const trained = events.flatMap((list) => list.filter((e) => e.type === 'trained'));
  expect(trained).toHaveLength(3 * rounds);
  const steps = trained.reduce((sum, e) => sum + (e.type === 'trained' ? (e.split?.steps ?? 0) : 0), 0);
  expect(steps).toBeGreaterThan(0);
  expect(keeper.trunks.get(taskId)!.appliedSteps).toBe(steps);
  for (const e of trained) {
    if (e.type !== 'trained') continue;
    expect(e.split!.bytesUp).toBeGreaterThan(0);
    expect(e.split!.bytesDown).toBeGreaterThan(0);
  }

  // The uploads were masked: each round's sum came from the three survivors' masked vectors.
  const rows = new SecAggRows(ctx.store.sql);
  for (let round = 1; round <= rounds; round++)
    expect((await rows.participants(taskId, round)).map((p) => p.survivor)).toEqual([1, 1, 1]);

  // Each masked upload holds the segments only: one 32-bit word per segment value and the weight, sealed
  // (the whole model, 304,466 values, was sent before; the segments are 15,442).
  const initial = await publishedWeights(fixture, taskId, 0);
  const definition = JSON.parse((await ctx.store.tasks.task(taskId))!.definition) as Parameters<
    typeof roundTensors
  >[0];
  const segmentValues = roundTensors(definition, initial).reduce((n, t) => n + t.data.length, 0);
  const wholeValues = initial.reduce((n, t) => n + t.data.length, 0);
  expect(segmentValues).toBeLessThan(wholeValues / 15);
  const submitted = events.flatMap((list) => list.flatMap((e) => (e.type === 'submitted' ? [e.bytes] : [])));
  expect(submitted).toHaveLength(3 * rounds);
  for (const bytes of submitted) {
    expect(bytes).toBeGreaterThan((segmentValues + 1) * 4);
    expect(bytes).toBeLessThan((segmentValues + 1) * 4 + 1024);
  }

  // The published model's trunk tensors are the initial ones exactly (no update holds them), its
  // segments moved: the trunk learns at the hub.
  const last = await publishedWeights(fixture, taskId, 'latest');
  const trunkNames = new Set(keeper.trunks.get(taskId)!.trunk.parameters.map((p) => p.name));
  const { hub: trunkMoves, site: segmentMoves } = movesBySide(initial, last, trunkNames);
  expect(trunkMoves.length).toBeGreaterThan(0);
  expect(Math.max(...trunkMoves)).toBe(0);
  expect(Math.max(...segmentMoves)).toBeGreaterThan(1e-3);

  await expectLearnedNodule(federation(), taskId, rounds, 'split rounds');
}, 600_000);

it('a site that drops out mid-round loses its step, not the round: the other two finish it', async () => {
  const { fixture, keeper, enrolled: hospitals } = federation();
  const taskId = await fixture.createTask({
    name: 'split with a dropped site',
    strategy: { name: 'splitfed', frameDtype: 'float16', labelSharing: false },
    rounds: 1,
    localEpochs: 2,
    quorum: 2,
    roundDeadlineSeconds: 60,
  });
  await keeper.serveNewTasks();
  for (const site of hospitals) await approveTask(site.dir, taskId);
  // The third site is stopped while its steps are running (its agent shut down mid-epoch).
  const leaving = new AbortController();
  const { events, done } = runSplitSites(hospitals, [
    new AbortController().signal,
    new AbortController().signal,
    leaving.signal,
  ]);
  const watch = setInterval(() => {
    if (events[2]!.some((e) => e.type === 'training')) leaving.abort();
  }, 20);
  const results = await done;
  clearInterval(watch);
  expect(leaving.signal.aborted).toBe(true);
  for (const i of [0, 1]) {
    const result = results[i]!;
    expect(result.status, splitStory(events[i]!)).toBe('fulfilled');
    if (result.status === 'fulfilled')
      expect(
        result.value.tasks.find((t) => t.taskId === taskId),
        splitStory(events[i]!),
      ).toMatchObject({ state: 'completed' });
  }
  // The leaver's agent stopped on request: no outcome for the task, no update sent.
  const left = results[2]!;
  expect(left.status === 'fulfilled' && left.value.tasks.some((t) => t.taskId === taskId)).toBe(false);
  expect(events[2]!.some((e) => e.type === 'training')).toBe(true);
  expect(events[2]!.some((e) => e.type === 'trained' || e.type === 'submitted')).toBe(false);
  const { ctx } = fixture.testHub.hub;
  expect((await ctx.store.models.latestModel(taskId))?.version).toBe(1);
  expect(await ctx.store.uploads.acceptedUpdates(taskId, 1)).toHaveLength(2);
  // The survivors' steps all reached the trunk; the leaver's open step, if any, was dropped unapplied.
  const survivorSteps = [0, 1].reduce(
    (sum, i) => sum + events[i]!.reduce((n, e) => n + (e.type === 'trained' ? (e.split?.steps ?? 0) : 0), 0),
    0,
  );
  const leaverSteps = events[2]!.filter((e) => e.type === 'training').length;
  const applied = keeper.trunks.get(taskId)!.appliedSteps;
  expect(applied).toBeGreaterThanOrEqual(survivorSteps);
  expect(applied).toBeLessThanOrEqual(survivorSteps + leaverSteps);
}, 300_000);
