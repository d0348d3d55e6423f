// Issue 16: the update-norm bound counted batch norm's running statistics, which move by tens a round
// while weights move by hundredths. ResNet-18's ~9,600 channels moving by 20 are a norm of ~2,000 on
// their own: a sound update was clipped or refused at the default bound of 1000. Against a real hub
// (plain updates, the task refusing updates above the bound): the norm counts the trained values only,
// and the statistics are held to their own per-value bound (statisticsClipRange, ±64 by default).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, isRunningStatistic } from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { createTask } from './tasks.ts';
import { refusal } from './testing/hub-refusal.ts';
import {
  makeTestHubWithSites,
  sendDelta,
  testTask,
  testWeights,
  waitForCollecting,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub;
let ash: HubClient;
let birch: HubClient;

beforeAll(async () => {
  ({
    test,
    clients: [ash, birch],
  } = await makeTestHubWithSites(['Ash', 'Birch']));
});
afterAll(() => test.cleanup());

/** The test model with 5,000 batch-norm channels: 10,000 running-statistics values. */
function wideBatchNorm() {
  return testWeights(5).map((tensor) =>
    isRunningStatistic(tensor.name)
      ? {
          name: tensor.name,
          shape: [5000],
          data: new Float32Array(5000).fill(tensor.name.endsWith('variance') ? 1 : 0),
        }
      : tensor,
  );
}

describe('the update-norm bound and running statistics', () => {
  it('counts the trained values only; statistics are bounded value by value', async () => {
    const taskId = (
      await createTask(
        test.hub.ctx,
        testTask({ quorum: 2, rounds: 2, updateNormPolicy: 'refuse' }),
        encodeWeights(wideBatchNorm()),
      )
    ).id;
    for (const site of [ash, birch]) await site.joinTask(taskId, { train: 120, validation: 30 });
    await waitForCollecting(test.hub, taskId);
    // Statistics move by 20 over 10,000 values (norm 2,000 on their own), weights by 0.01: accepted.
    const sound = (name: string) => (isRunningStatistic(name) ? 20 : 0.01);
    const accepted = await sendDelta(ash, taskId, sound, 120);
    expect(accepted.submission.state).toBe('accepted');
    const [row] = await test.hub.ctx.store.uploads.submissionsOfSite(taskId, ash.siteId);
    expect(row).toMatchObject({ norm_action: 'within', norm_bound: 1000 });
    expect(row!.update_norm).toBeCloseTo(0.01 * Math.sqrt(58), 5);

    // Weights past the bound are still refused (58 trained values of 200: norm ≈ 1,523).
    const heavy = await refusal(
      sendDelta(birch, taskId, (name) => (isRunningStatistic(name) ? 0 : 200), 120),
    );
    expect(heavy.hubCode).toBe('update-rejected');
    expect(heavy.message).toMatch(
      /L2 norm over its trained values .* is 1523.*above the task's bound of 1000/,
    );

    // A statistics value past ±64 is refused, whatever the weights' norm.
    const wild = await refusal(
      sendDelta(
        birch,
        taskId,
        (name, i) => (isRunningStatistic(name) ? (name.endsWith('moving_mean') && i === 7 ? 65 : 20) : 0.01),
        120,
      ),
    );
    expect(wild.hubCode).toBe('update-rejected');
    expect(wild.message).toContain(
      "1 batch-norm running-statistics value of the update moved by more than the task's bound of ±64",
    );
  });
});
