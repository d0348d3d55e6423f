// A site checks the hub's receipt of what went into a homomorphic round's encrypted sum before it
// uses the sum. The hub cannot read the updates, but it chooses which ciphertexts to add; a hub that
// publishes the sum of one site's update under a quorum of 3 would hand every key holder that site's
// update in the clear. Here a real hub on a loopback port is made to do just that (its round forced
// to close with one upload), and the site, after the hub's signature checks out, refuses the sum.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publishEncryptedRound } from '../../../hub/homomorphic/index.ts';
import {
  HomomorphicTestSite,
  type TestTaskKey,
} from '../../../hub/homomorphic/testing/homomorphic-test-site.ts';
import { createTask } from '../../../hub/index.ts';
import { makeTestHub, testTask, waitFor, type TestHub } from '../../../hub/testing/test-hub.ts';
import { encodeWeights, taskDefinitionSchema, type NamedTensor } from '../../../shared/federation/index.ts';
import { enrollSite } from '../../../shared/node/federation/index.ts';
import { decodePublishedSum, encodingOf, updateVector } from '../../../shared/node/homomorphic/index.ts';
import { stepFromEncryptedSum } from './homomorphic-model.ts';
import { fetchModelBytes } from './model-cache.ts';

let testHub: TestHub;
let folder: string;

beforeAll(async () => {
  testHub = await makeTestHub();
  folder = mkdtempSync(join(tmpdir(), 'radfed-he-receipt-'));
}, 60_000);
afterAll(async () => {
  await testHub?.cleanup();
  rmSync(folder, { recursive: true, force: true });
});

it('refuses a published sum of one update under a quorum of 3, saying why', async () => {
  const { hub } = testHub;
  const initial: NamedTensor[] = [
    { name: 'dense/kernel', shape: [16], data: new Float32Array(16) },
    { name: 'dense/bias', shape: [1], data: new Float32Array(1) },
  ];
  const input = testTask({ rounds: 2, quorum: 3, privacy: { secureAggregation: false, homomorphic: true } });
  const definition = taskDefinitionSchema.parse(input);
  const taskId = (await createTask(hub.ctx, input, encodeWeights(initial))).id;
  const sites: HomomorphicTestSite[] = [];
  for (let i = 0; i < 3; i += 1) {
    const token = (await hub.createToken()).token;
    sites.push(new HomomorphicTestSite(await enrollSite({ token, siteName: `HE receipt ${i}` })));
  }
  for (const site of sites) await site.client.joinTask(taskId, { train: 20, validation: 5 });
  await waitFor(
    hub,
    async () => (await sites[0]!.keyView(taskId)).waitingFor.length === 2,
    'the joined sites',
  );
  const keys: TestTaskKey[] = [await sites[0]!.makeKey(taskId, definition)];
  for (const site of sites.slice(1)) keys.push(await site.receiveKey(taskId));
  await waitFor(hub, async () => (await sites[0]!.client.getRound(taskId)).state === 'collecting', 'round 1');

  // One site sends its update; the other two have not yet.
  const delta = initial.map((tensor) => ({ ...tensor, data: tensor.data.map((_, i) => 0.01 * (i + 1)) }));
  const { values } = updateVector(delta, 20, encodingOf(definition, keys[0]!.parameters));
  await sites[0]!.client.uploadSealed(
    taskId,
    await sites[0]!.encryptedUpdate(taskId, keys[0]!, values, 1, 0),
  );

  // The hub closes the round anyway and publishes the sum of that one update, signed as every model.
  const { ctx } = hub;
  expect(
    await ctx.store.transaction((tx) =>
      tx.tasks.updateRound(taskId, 1, 'collecting', { state: 'aggregating' }),
    ),
  ).toBe(true);
  const task = (await ctx.store.tasks.task(taskId))!;
  const round = (await ctx.store.tasks.rounds(taskId))[0]!;
  // (The hub's own tick may publish the 'aggregating' round first, from the same one upload.)
  await publishEncryptedRound(ctx, task, round);
  await waitFor(hub, async () => (await ctx.store.models.model(taskId, 1)) !== undefined, 'version 1');

  // Another site downloads it (the hub's signature over the blob, receipt included, checks out)...
  const published = await fetchModelBytes(sites[1]!.client, taskId, 1, folder);
  expect(decodePublishedSum(published.bytes).receipt).toMatchObject({
    taskId,
    round: 1,
    updates: 1,
    sites: [sites[0]!.client.siteId],
  });
  // ...and refuses to use it, in words that say why and what to do.
  await expect(
    stepFromEncryptedSum(taskId, definition, keys[1]!, { weights: initial, state: null }, published.bytes),
  ).rejects.toThrow(
    /round 1's encrypted sum of 1 update, but this task needs at least 3 \(its quorum\).*does not use it\. Tell the federation's coordinator/,
  );
}, 120_000);
