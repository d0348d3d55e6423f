// Split learning as a task, end to end: three real site agents (real ingest, real cohorts) and a real
// hub on a loopback port whose trunk is kept as `radfed hub serve` keeps it (TrunkKeeper). Each round
// every site trains its bottom and head step by step against the hub's trunk over its signed session,
// then sends the change to its segments under secure aggregation; the next round starts from the
// average. Checked: the task learns the synthetic nodule (the published segments with the hub's trunk,
// on the sites' held-out images), every step reached the trunk once, the uploads were masked and hold
// the segments only (about 5% of the model's values), the published trunk tensors are the initial ones;
// and a site that drops out mid-round does not stop the others.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeWeights, roundTensors, type NamedTensor } from '../../../shared/federation/index.ts';
import { activeSplitTasks } from '../../../hub/split/index.ts';
import { SecAggRows } from '../../../hub/secagg/index.ts';
import { buildCohort } from '../cohort/index.ts';
import { openSite } from '../store/index.ts';
import { selectBackend } from '../train/index.ts';
import { TrunkKeeper } from '../train/split/index.ts';
import { approveTask, enrollSiteWithHub, evaluateWeights, runFederation, type SyncEvent } from './index.ts';
import { trainingTaskFor } from './training-task.ts';
import { COHORT_TASK, makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;
let keeper: TrunkKeeper;
/** The three hospitals of the federation; a fourth site of the fixture is never enrolled in a task. */
let hospitals: FederationFixture['sites'];
/**
 * A fourth site's whole cohort, never trained on, joins the three hospitals' held-out images as the test
 * set: their held-out images alone are about 16, and an AUC over 16 images moves by 0.03 with one pair.
 */
let unseenSite: FederationFixture['sites'][number];

beforeAll(async () => {
  // One backend for the process before three sites ask for it at once (each site is its own process
  // outside tests; three first selections racing in one process can fail to start WebAssembly).
  await selectBackend({ choice: 'wasm' });
  fixture = await makeFederationFixture({
    sites: 4,
    patients: Number(48),
  });
  hospitals = fixture.sites.slice(0, 3);
  unseenSite = fixture.sites[3]!;
  for (const site of hospitals) {
    await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
  }
  const { hub } = fixture.testHub;
  keeper = new TrunkKeeper({
    splitTasks: () => activeSplitTasks(hub.ctx),
    serveTrunk: (taskId, engine) => hub.split.serveTrunk(taskId, engine),
    pollMs: 200,
  });
  await keeper.start();
}, 120_000);
afterAll(async () => {
  keeper?.close();
  await fixture?.cleanup();
});

function run(sites: readonly { dir: string }[], signals: AbortSignal[] = []) {
  const events: SyncEvent[][] = sites.map(() => []);
  const done = Promise.allSettled(
    sites.map((site, i) =>
      runFederation({
        siteDir: site.dir,
        signal: signals[i] ?? new AbortController().signal,
        untilDone: true,
        waitSeconds: 2,
        rescanMs: 500,
        backend: 'wasm',
        retryBaseMs: 50,
        retryMaxMs: 200,
        onEvent: (event) => {
          events[i]!.push(event);
          if (process.env.SPLIT_SPEC_TRACE && event.type !== 'training')
            process.stderr.write(`site ${i}: ${JSON.stringify(event)}\n`);
        },
      }),
    ),
  );
  return { events, done };
}

function story(list: readonly SyncEvent[]): string {
  return list
    .map((e) => `${e.type}${'reason' in e ? `: ${e.reason}` : ''}${'message' in e ? `: ${e.message}` : ''}`)
    .join(' | ');
}

/**
 * The published segments with the hub's trunk as it is now (or, `initialTrunk`, the trunk's initial
 * tensors as they are in the published model), on every site's held-out images.
 */
async function evaluateWithTrunk(taskId: string, version: number, initialTrunk = false) {
  const { ctx } = fixture.testHub.hub;
  const row = (await ctx.store.models.model(taskId, version))!;
  const trunk = keeper.trunks.get(taskId)!;
  const trunkValues = new Map(
    trunk.trunk.parameters.map((p) => [p.name, p.variable.dataSync() as Float32Array]),
  );
  const weights: NamedTensor[] = decodeWeights(await ctx.store.blobs.read(row.blob_sha256)).map((t) => ({
    ...t,
    data: (initialTrunk ? undefined : trunkValues.get(t.name)) ?? t.data,
  }));
  const items = fixture.sites.flatMap((site) => {
    const opened = openSite(site.dir);
    try {
      const cohort = buildCohort(opened, COHORT_TASK.id);
      return site === unseenSite ? [...cohort.train, ...cohort.validation] : cohort.validation;
    } finally {
      opened.database.close();
    }
  });
  const definition = JSON.parse((await ctx.store.tasks.task(taskId))!.definition) as Parameters<
    typeof trainingTaskFor
  >[1];
  return evaluateWeights({ task: trainingTaskFor(taskId, definition), weights, items, backend: 'cpu' });
}

it('three sites learn the synthetic nodule by split learning, segments averaged under secure aggregation', async () => {
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
  const { events, done } = run(hospitals);
  const results = await done;
  for (const [i, result] of results.entries()) {
    expect(result.status, story(events[i]!)).toBe('fulfilled');
    if (result.status === 'fulfilled')
      expect(result.value.tasks[0], story(events[i]!)).toMatchObject({ taskId, state: 'completed' });
  }
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
  const initial = decodeWeights(
    await ctx.store.blobs.read((await ctx.store.models.model(taskId, 0))!.blob_sha256),
  );
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
  const last = decodeWeights(
    await ctx.store.blobs.read((await ctx.store.models.latestModel(taskId))!.blob_sha256),
  );
  const trunkNames = new Set(keeper.trunks.get(taskId)!.trunk.parameters.map((p) => p.name));
  const moved = (i: number) =>
    last[i]!.data.reduce((most, v, k) => Math.max(most, Math.abs(v - initial[i]!.data[k]!)), 0);
  const trunkMoves = last.flatMap((t, i) => (trunkNames.has(t.name) ? [moved(i)] : []));
  const segmentMoves = last.flatMap((t, i) => (trunkNames.has(t.name) ? [] : [moved(i)]));
  expect(trunkMoves.length).toBeGreaterThan(0);
  expect(Math.max(...trunkMoves)).toBe(0);
  expect(Math.max(...segmentMoves)).toBeGreaterThan(1e-3);

  const before = await evaluateWithTrunk(taskId, 0, true);
  const after = await evaluateWithTrunk(taskId, rounds);
  // Ranking by AUC: the loss also carries the head's calibration, which a few rounds leave rough. The
  // trunk takes the three sites' steps in arrival order, so runs differ. Measured on ~117 test images
  // (2-core EPYC, busy, 2026-12-07): 0.46 -> 0.73 and 0.46 -> 0.76 (0.76 again at 32 px, for 2.5x the
  // time); FedAvg with the same data, rounds and epochs reached 0.59. An AUC over ~117 images has a
  // standard error near 0.045, so 0.65 is two of them under what split learning reaches and still
  // well above where it started.
  process.stderr.write(`split rounds: test AUC ${before.auc} -> ${after.auc} on ${after.n} images\n`);
  expect(after.n).toBeGreaterThan(100);
  expect(before.auc!).toBeLessThan(0.6);
  expect(after.auc!).toBeGreaterThan(0.65);
  expect(after.auc! - before.auc!).toBeGreaterThan(0.15);
}, 600_000);

it('a site that drops out mid-round loses its step, not the round: the other two finish it', async () => {
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
  const { events, done } = run(hospitals, [
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
    expect(result.status, story(events[i]!)).toBe('fulfilled');
    if (result.status === 'fulfilled')
      expect(
        result.value.tasks.find((t) => t.taskId === taskId),
        story(events[i]!),
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
