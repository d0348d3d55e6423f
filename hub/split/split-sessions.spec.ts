// Split learning over real sessions: a real hub on a loopback port (its own TLS, the CA the sites
// pinned), three enrolled sites each with its own signed WebSocket session, the trunk shared by all of
// them. They learn the synthetic nodule; a site that vanishes mid-step does not stop the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../main/site/train/backend/index.ts';
import { createModel, splitModel } from '../../main/site/train/models/index.ts';
import { adamOptimizer, HubTrunk } from '../../main/site/train/split/index.ts';
import { averageSegments, noduleBatch, nodules } from '../../main/site/train/split/testing/nodule-batches.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import { SplitConnection } from '../../shared/node/split/index.ts';
import { createTask } from '../tasks.ts';
import { enrollTestSite, makeTestHub, testTask, type TestHub } from '../testing/test-hub.ts';
import { SPLIT_TEST_MODEL, splitTestSite } from './testing/split-test-site.ts';
import { trunkCheckpointsFor } from './trunk-checkpoints.ts';

/** A real active split-learning task: the trunk's checkpoint belongs to it (a row of it on PostgreSQL). */
let TASK: string;
const BATCH = 16;
const PER_SITE = 192;
const EPOCHS = 4;

let testHub: TestHub;
let trunk: HubTrunk;
const enrollments: SiteEnrollment[] = [];

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  testHub = await makeTestHub({ split: { stepTimeoutMs: 1500 } });
  for (const name of ['north', 'south', 'east', 'west']) {
    enrollments.push((await enrollTestSite(testHub.hub, name)).enrollment);
  }
  TASK = (
    await createTask(
      testHub.hub.ctx,
      testTask({ model: { name: 'resnet-small-gn' }, input: { size: 16 }, strategy: { name: 'splitfed' } }),
    )
  ).id;
  const { architecture, config } = SPLIT_TEST_MODEL;
  trunk = new HubTrunk(createModel(architecture, config), {
    dtype: 'float16',
    optimizer: adamOptimizer(0.01),
  });
  await testHub.hub.split.serveTrunk(TASK, trunk);
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

describe('split learning over signed WebSocket sessions', () => {
  it('three sites train in parallel against one trunk over TLS and learn the synthetic nodule', async () => {
    const sites = [0, 1, 2].map((i) => ({
      ...splitTestSite(enrollments[i]!, TASK),
      data: nodules(PER_SITE, 100 + i),
    }));
    const epochLoss: number[] = [];
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      // Each site runs its own epoch; the trunk takes their steps one at a time, in arrival order.
      const losses = await Promise.all(
        sites.map(async ({ runner, data }, s) => {
          let sum = 0;
          for (let index = 0; index < PER_SITE / BATCH; index++) {
            const { images, labels } = noduleBatch(data, index, BATCH);
            const step = epoch * (PER_SITE / BATCH) + index;
            sum += (await runner.step(step, index + 100 * s, images, labels)).loss;
            images.dispose();
          }
          return sum / (PER_SITE / BATCH);
        }),
      );
      epochLoss.push(losses.reduce((a, b) => a + b, 0) / losses.length);
      averageSegments(sites.map((s) => s.site.segmentParameters));
    }
    expect(epochLoss.at(-1)!).toBeLessThan(epochLoss[0]! * 0.6);
    // Every step of every site reached the trunk exactly once, and the last one is kept (in the hub
    // folder on SQLite, in the database on PostgreSQL).
    expect(trunk.appliedSteps).toBe(3 * EPOCHS * (PER_SITE / BATCH));
    expect(await trunkCheckpointsFor(testHub.hub.ctx).read(TASK)).not.toBeNull();

    const test = nodules(128, 999);
    const { bottom, head } = splitModel(sites[0]!.model);
    const x = tf.tensor4d(test.images, [128, 16, 16, 1]);
    const predicted = tf.tidy(() =>
      tf.argMax(head.apply(trunk.trunk.apply(bottom.apply(x, 'infer'), 'infer'), 'infer'), 1).dataSync(),
    );
    x.dispose();
    const correct = test.labels.filter((label, i) => predicted[i] === label).length;
    expect(correct / 128).toBeGreaterThan(0.85);
    for (const s of sites) s.dispose();
  }, 300_000);

  it('a site that goes quiet after sending its activations loses its step; the other sites finish theirs', async () => {
    const [a, b, quiet] = [0, 1, 3].map((i) => ({
      ...splitTestSite(enrollments[i]!, TASK),
      data: nodules(4 * BATCH, 200 + i),
    }));
    // The quiet site takes the trunk with its activations, then sends nothing for a while.
    const quietConnection = await SplitConnection.open({
      ...connectionOf(enrollments[3]!),
      session: quiet!.session,
    });
    const { images, labels } = noduleBatch(quiet!.data, 0, BATCH);
    const activations = await quiet!.site.forwardBottom(0, 0, images);
    images.dispose();
    const trunkOutput = await quietConnection.exchange(activations);
    const before = trunk.appliedSteps;

    await Promise.all(
      [a!, b!].map(async ({ runner, data }) => {
        for (let index = 0; index < 4; index++) {
          const batch = noduleBatch(data, index, BATCH);
          await runner.step(index, index, batch.images, batch.labels);
          batch.images.dispose();
        }
      }),
    );
    expect(trunk.appliedSteps - before).toBe(8);
    // Its step was dropped when it went quiet: its late gradient is not applied, and the site is told
    // to start the step again.
    const head = await quiet!.site.headStep(trunkOutput, labels);
    await expect(quietConnection.exchange(head.frame)).rejects.toMatchObject({
      code: 'step-not-open',
      retry: 'restart-step',
    });
    expect(trunk.appliedSteps - before).toBe(8);
    quietConnection.close();
    for (const s of [a!, b!, quiet!]) s.dispose();
  }, 300_000);
});

function connectionOf(enrollment: SiteEnrollment) {
  return {
    hubUrl: enrollment.hubUrl,
    caPem: enrollment.caPem,
    siteId: enrollment.siteId,
    signingPrivateKeyPem: enrollment.signingPrivateKeyPem,
    taskId: TASK,
  };
}
