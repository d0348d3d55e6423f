// An enrolled site that sends refused updates over and over, at a real hub on a loopback port: each
// refused update is kept with its reason, so without a cap one site filled the hub's disk. After
// MAX_REFUSED_UPLOADS in a round the hub takes no more from that site that round, saying why; another
// site's update is taken as before.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeWeights, HubRequestError } from '../../shared/federation/index.ts';
import { sealUpdate, type HubClient } from '../../shared/node/federation/index.ts';
import { createTask } from '../tasks.ts';
import {
  enrollTestSite,
  makeTestHub,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from '../testing/test-hub.ts';
import { MAX_REFUSED_UPLOADS } from '../uploads.ts';

let test: TestHub;
beforeAll(async () => {
  test = await makeTestHub();
}, 60_000);
afterAll(async () => {
  await test?.cleanup();
});

function update(client: HubClient, taskId: string, seed: number, denseUnits: number) {
  return sealUpdate({
    taskId,
    round: 1,
    siteId: client.siteId,
    kind: 'delta',
    weights: testWeights(seed, 0.01, denseUnits),
    baseVersion: 0,
    examples: 10,
    compression: 'none',
    hubExchangePublicKey: client.hub.exchangePublicKey,
  });
}

it(`takes no more than ${MAX_REFUSED_UPLOADS} refused updates from one site in a round`, async () => {
  const { hub } = test;
  const taskId = (await createTask(hub.ctx, testTask({ quorum: 2 }), encodeWeights(testWeights(1)))).id;
  const { client: hostile } = await enrollTestSite(hub, 'Refused again');
  const { client: honest } = await enrollTestSite(hub, 'Honest');
  for (const client of [hostile, honest]) await client.joinTask(taskId, { train: 20, validation: 5 });
  await waitFor(hub, async () => (await honest.getRound(taskId)).state === 'collecting', 'collection');

  // A dense layer of 3 units where the task's model has 2: refused, with the reason, each time.
  for (let i = 0; i < MAX_REFUSED_UPLOADS; i += 1) {
    await expect(hostile.uploadSealed(taskId, update(hostile, taskId, 10 + i, 3))).rejects.toMatchObject({
      status: 422,
      hubCode: 'update-rejected',
    });
  }
  const stopped = await hostile.uploadSealed(taskId, update(hostile, taskId, 99, 3)).catch((e: unknown) => e);
  expect(stopped).toBeInstanceOf(HubRequestError);
  expect(stopped).toMatchObject({ status: 409, hubCode: 'too-many-refused' });
  expect((stopped as HubRequestError).message).toMatch(
    /refused 10 updates of this site for round 1 .* next round/,
  );
  expect((await hub.ctx.store.uploads.submissionsOfSite(taskId, hostile.siteId)).length).toBe(
    MAX_REFUSED_UPLOADS,
  );

  const sent = await honest.uploadSealed(taskId, update(honest, taskId, 3, 2));
  expect(sent.submission.state).toBe('accepted');
}, 60_000);
