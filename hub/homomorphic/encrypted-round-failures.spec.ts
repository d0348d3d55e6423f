// A homomorphic round that cannot be summed, and uploads racing for the last place in a sum, at a real
// hub on a loopback port (its SQLite file, or PostgreSQL under npm run test:hub-postgres):
// - a stored encrypted update that cannot be read when the round closes (lost from the blob store)
//   fails the round with a sentence; it stayed 'aggregating' for good, re-run on every tick;
// - three sites completing at once into a sum sized for two (on PostgreSQL, where requests are checked
//   truly at once): two are accepted and the third refused
//   by name, and the round publishes the sum of two; all three were accepted (each checked the count
//   before the others were recorded), and the sum that could overflow failed the whole round.
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import {
  encodeWeights,
  hubPaths,
  taskDefinitionSchema,
  uploadStatusSchema,
  type TaskDefinitionInput,
} from '../../shared/federation/index.ts';
import {
  enrollSite,
  envelopeFor,
  loadPrivateKey,
  signEnvelope,
  type SealedUpdate,
} from '../../shared/node/federation/index.ts';
import { decodePublishedSum, encodingOf, updateVector } from '../../shared/node/homomorphic/index.ts';
import { createTask } from '../tasks.ts';
import { makeTestHub, testTask, testWeights, waitFor, type TestHub } from '../testing/test-hub.ts';
import { HomomorphicTestSite, type TestTaskKey } from './testing/homomorphic-test-site.ts';

let testHub: TestHub | undefined;

/** Sends an update's bytes without completing it; the returned call completes it. */
async function stageUpload(site: HomomorphicTestSite, taskId: string, update: SealedUpdate) {
  const { client } = site;
  const status = await client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
    round: update.round,
    kind: update.kind,
    bytes: update.sealed.byteLength,
    sha256: update.sha256,
  });
  for (let start = 0; start < status.bytes; start += status.chunkBytes) {
    const chunk = update.sealed.subarray(start, Math.min(status.bytes, start + status.chunkBytes));
    await client.send(
      'PUT',
      hubPaths.chunk(status.uploadId, start / status.chunkBytes),
      chunk,
      'application/octet-stream',
    );
  }
  const envelope = envelopeFor(taskId, update);
  const signature = signEnvelope(envelope, loadPrivateKey(site.enrollment.signingPrivateKeyPem));
  return () =>
    client.call(z.unknown(), 'POST', hubPaths.complete(status.uploadId), {
      envelope,
      envelopeSignature: signature,
    });
}
afterEach(async () => {
  await testHub?.cleanup();
  testHub = undefined;
});

const base = testWeights(7);

/** A hub, a homomorphic task, `count` joined sites and the task key at each of them. */
async function homomorphicRound(count: number, input: TaskDefinitionInput, onPostgres = false) {
  testHub = await makeTestHub(onPostgres ? { blobsInPostgres: true } : {});
  const { hub } = testHub;
  const definition = taskDefinitionSchema.parse(input);
  const taskId = (await createTask(hub.ctx, input, encodeWeights(base))).id;
  const sites: HomomorphicTestSite[] = [];
  for (let i = 0; i < count; i += 1) {
    const token = (await hub.createToken()).token;
    sites.push(new HomomorphicTestSite(await enrollSite({ token, siteName: `HE edge ${i}` })));
  }
  for (const site of sites) await site.client.joinTask(taskId, { train: 20, validation: 5 });
  await waitFor(hub, async () => (await sites[0]!.keyView(taskId)).waitingFor.length === 2, 'the key view');
  const keys: TestTaskKey[] = [await sites[0]!.makeKey(taskId, definition)];
  for (const site of sites.slice(1)) keys.push(await site.receiveKey(taskId));
  await waitFor(
    hub,
    async () => (await sites[0]!.client.getRound(taskId)).state === 'collecting',
    'collection',
  );
  const encoding = encodingOf(definition, keys[0]!.parameters);
  const update = (k: number) =>
    sites[k]!.encryptedUpdate(
      taskId,
      keys[k]!,
      updateVector(
        base.map((t) => ({ ...t, data: t.data.map((_, i) => ((i + k) % 5) / 50) })),
        10,
        encoding,
      ).values,
      1,
      0,
    );
  return { hub, taskId, sites, update };
}

it('fails a homomorphic round whose stored update cannot be read, with a sentence, instead of leaving it aggregating', async () => {
  const input = testTask({ rounds: 2, quorum: 2, privacy: { secureAggregation: false, homomorphic: true } });
  const { hub, taskId, sites, update } = await homomorphicRound(3, input);
  for (const k of [0, 1]) {
    const sent = await sites[k]!.client.uploadSealed(taskId, await update(k));
    expect(sent.submission.state, sent.submission.reason ?? '').toBe('accepted');
  }
  // The blob store lost one accepted update (a disk replaced, a bucket emptied by hand).
  await hub.ctx.store.sql.run(
    `UPDATE submissions SET blob_sha256 = @missing WHERE task_id = @taskId AND site_id = @siteId`,
    { missing: 'f'.repeat(64), taskId, siteId: sites[1]!.client.siteId },
  );
  // The third site never sends: the round closes at its deadline with the two it has.
  testHub!.shiftClock(61_000);
  const first = await waitFor(
    hub,
    async () => {
      const round = (await hub.ctx.store.tasks.rounds(taskId))[0];
      return round?.state === 'failed' || round?.state === 'published' ? round : undefined;
    },
    'round 1 to end',
  );
  expect(first.state).toBe('failed');
  expect(first.failure_reason).toMatch(/^Aggregation failed: the hub could not add the encrypted updates/);
  // The task goes on: the next round opens from the same model.
  await waitFor(hub, async () => (await sites[0]!.client.getRound(taskId)).round === 2, 'round 2');
  expect((await sites[0]!.client.getRound(taskId)).baseVersion).toBe(0);
}, 60_000);

it('takes no more encrypted updates at once than the sum is sized for: the last one racing in is refused', async () => {
  const input = testTask({
    rounds: 1,
    quorum: 2,
    privacy: { secureAggregation: false, homomorphic: { enabled: true, maxSites: 2 } },
  });
  // On PostgreSQL, where the hub checks requests truly at once (one SQLite process takes them in turn).
  const { hub, taskId, sites, update } = await homomorphicRound(3, input, true);
  // Every byte in first, then the three completions at once: each is checked while the others are.
  const completions = await Promise.all(
    sites.map(async (site, k) => stageUpload(site, taskId, await update(k))),
  );
  const answers = await Promise.allSettled(completions.map((complete) => complete()));
  const refusals = answers.flatMap((answer) =>
    answer.status === 'rejected' ? [(answer.reason as Error).message] : [],
  );
  expect(refusals).toEqual([expect.stringMatching(/already holds 2 encrypted updates/)]);
  expect(await hub.ctx.store.uploads.acceptedUpdates(taskId, 1)).toHaveLength(2);
  testHub!.shiftClock(61_000);
  const round = await waitFor(
    hub,
    async () => {
      const row = (await hub.ctx.store.tasks.rounds(taskId))[0];
      return row?.state === 'failed' || row?.state === 'published' ? row : undefined;
    },
    'round 1 to end',
  );
  expect(round.failure_reason).toBeNull();
  expect(round.state).toBe('published');
  const model = await hub.ctx.store.models.model(taskId, 1);
  const { receipt } = decodePublishedSum(await hub.ctx.store.blobs.read(model!.blob_sha256));
  expect(receipt.updates).toBe(2);
}, 60_000);
