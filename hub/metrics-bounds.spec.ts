// Federated evaluation against a real hub: one site's report cannot dictate the federated metrics.
// Before the bound, a report with n = 9e15 and AUC 1 outweighed an honest site's 0.5 on the dashboard
// and in the model's metadata; now n is bounded by the validation set the site declared when it joined
// (and the task's maxExamplesPerSite for a site that declared none).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { createTask } from './tasks.ts';
import { refusal } from './testing/hub-refusal.ts';
import { makeTestHubWithSites, testTask, testWeights, type TestHub } from './testing/test-hub.ts';

let test: TestHub;
let ash: HubClient;
let mallory: HubClient;
let quiet: HubClient;
let taskId: string;

beforeAll(async () => {
  ({
    test,
    clients: [ash, mallory, quiet],
  } = await makeTestHubWithSites(['Ash', 'Mallory', 'Quiet']));
  taskId = (
    await createTask(test.hub.ctx, testTask({ maxExamplesPerSite: 1000 }), encodeWeights(testWeights(4)))
  ).id;
  await ash.joinTask(taskId, { train: 200, validation: 50 });
  await mallory.joinTask(taskId, { train: 100, validation: 30 });
  await quiet.joinTask(taskId); // declares nothing
});
afterAll(() => test.cleanup());

describe('federated metrics', () => {
  it('refuses a report whose n is above what the site declared, so one site cannot outweigh the others', async () => {
    await ash.postMetrics(taskId, 0, { loss: 0.7, accuracy: 0.5, auc: 0.5, n: 50 });
    const refused = await refusal(mallory.postMetrics(taskId, 0, { loss: 0, accuracy: 1, auc: 1, n: 9e15 }));
    expect(refused.status).toBe(422);
    expect(refused.hubCode).toBe('metrics-refused');
    expect(refused.message).toContain(
      'counts 9000000000000000 validation examples, but this site declared 30',
    );
    const meta = await ash.getModelMeta(taskId, 0);
    expect(meta.metrics).toMatchObject({ auc: 0.5, n: 50, sites: 1 });
    // Within its declaration the site counts as much as it evaluated on.
    const within = await mallory.postMetrics(taskId, 0, { loss: 0.1, accuracy: 1, auc: 1, n: 30 });
    expect(within.auc).toBeCloseTo((0.5 * 50 + 1 * 30) / 80, 10);
  });

  it("holds a site that declared nothing to the task's cap, and refuses a loss that is no measurement", async () => {
    const capped = await refusal(
      quiet.postMetrics(taskId, 0, { loss: 0.2, accuracy: 0.9, auc: 0.9, n: 1001 }),
    );
    expect(capped.message).toContain('more than the task allows one site (1000)');
    const loss = await refusal(quiet.postMetrics(taskId, 0, { loss: 1e300, accuracy: 0.9, auc: 0.9, n: 10 }));
    expect(loss.hubCode).toBe('metrics-refused');
    const nan = await refusal(
      quiet.send(
        'POST',
        `/v1/tasks/${taskId}/models/0/metrics`,
        Buffer.from('{"loss":1e999,"accuracy":0.5,"auc":0.5,"n":5}'),
        'application/json',
      ),
    );
    expect(nan.status).toBe(400);
    expect((await ash.getModelMeta(taskId, 0)).metrics.sites).toBe(2);
  });
});
