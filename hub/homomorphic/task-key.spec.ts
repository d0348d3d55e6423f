// The task key at the hub, a blind carrier: the first site to join is the maker and the only site that
// may set the key; a round does not collect until the key is sealed to every joined site; a site that
// joins later waits until the maker re-seals the same key to it (and only then may it send it again);
// another key for the same task, or a box for a site that has not joined, is refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { encodeWeights, homomorphicPaths, taskDefinitionSchema } from '../../shared/federation/index.ts';
import {
  createTaskSecretKey,
  homomorphicParameters,
  sealTaskKey,
} from '../../shared/node/homomorphic/index.ts';
import { enrollSite, loadPrivateKey, publicKeyOf } from '../../shared/node/federation/index.ts';
import { createTask } from '../tasks.ts';
import { makeTestHub, testTask, testWeights, waitFor, type TestHub } from '../testing/test-hub.ts';
import { HomomorphicTestSite } from './testing/homomorphic-test-site.ts';

let testHub: TestHub;
beforeAll(async () => {
  testHub = await makeTestHub();
}, 60_000);
afterAll(async () => {
  await testHub?.cleanup();
});

it('carries the key from the first site to join to every other, re-sealed for a site that joins later', async () => {
  const { hub } = testHub;
  const input = testTask({ rounds: 2, quorum: 2, privacy: { homomorphic: true } });
  const definition = taskDefinitionSchema.parse(input);
  const taskId = (await createTask(hub.ctx, input, encodeWeights(testWeights(2)))).id;
  const sites = await Promise.all(
    [0, 1, 2].map(
      async (i) =>
        new HomomorphicTestSite(
          await enrollSite({ token: (await hub.createToken()).token, siteName: `Key ${i}` }),
        ),
    ),
  );
  const [maker, second, late] = sites as [HomomorphicTestSite, HomomorphicTestSite, HomomorphicTestSite];
  await maker.client.joinTask(taskId, { train: 30, validation: 5 });
  await second.client.joinTask(taskId, { train: 50, validation: 5 });

  const view = await second.keyView(taskId);
  expect(view).toMatchObject({ makerSiteId: maker.client.siteId, largestCohort: 50, message: null });
  expect(view.waitingFor).toEqual([second.client.siteId]);
  await hub.advance();
  expect((await maker.client.getRound(taskId)).state).toBe('open'); // no key yet: no collecting

  const parameters = homomorphicParameters(definition, view.largestCohort);
  // W = 128: the power of two at least twice the largest cohort; times the update bound (maxUpdateNorm).
  expect(parameters.valueBound).toBe(1000 * 128);
  const key = await createTaskSecretKey(parameters);
  /** The maker's message of `which` key, sealed to the joined sites the hub lists now (and `extra`). */
  const message = async (which = key, extra: { siteId: string; exchangePublicKey: string }[] = []) =>
    sealTaskKey({
      taskId,
      parameters,
      key: which,
      fromSiteId: maker.client.siteId,
      signingPrivateKey: loadPrivateKey(maker.enrollment.signingPrivateKeyPem),
      recipients: [
        ...(await maker.keyView(taskId)).sites.map((site) => ({
          siteId: site.siteId,
          exchangePublicKey: site.exchangePublicKey,
        })),
        ...extra,
      ],
    });
  const put = (from: HomomorphicTestSite, body: unknown) =>
    from.client.call(z.unknown(), 'PUT', homomorphicPaths.taskKey(taskId), body);

  await expect(put(second, await message())).rejects.toThrow(/Another site makes this task's key/);
  // A box for a site that has not joined the task is refused.
  const lateBox = {
    siteId: late.client.siteId,
    exchangePublicKey: publicKeyOf(late.enrollment.exchangePrivateKeyPem),
  };
  await expect(put(maker, await message(key, [lateBox]))).rejects.toThrow(/has not joined this task/);
  await put(maker, await message());
  await waitFor(hub, async () => (await maker.client.getRound(taskId)).state === 'collecting', 'collecting');
  expect((await second.receiveKey(taskId)).key.keyId.equals(key.keyId)).toBe(true);

  // A site that joins later has no box until the maker re-seals the same key to it.
  await late.client.joinTask(taskId, { train: 70, validation: 5 });
  expect((await maker.keyView(taskId)).waitingFor).toEqual([late.client.siteId]);
  await expect(late.receiveKey(taskId)).rejects.toThrow(/not among the task key's recipients/);
  await expect(put(maker, await message(await createTaskSecretKey(parameters)))).rejects.toThrow(
    /already has its key/,
  );
  await put(maker, await message());
  expect((await maker.keyView(taskId)).waitingFor).toEqual([]);
  expect((await late.receiveKey(taskId)).key.keyId.equals(key.keyId)).toBe(true);
  // Sealed to every joined site: the same key again is refused before it is stored (each message
  // sent was kept as a blob, so a maker repeating it filled the hub's disk).
  const stored = (await maker.keyView(taskId)).message;
  await put(maker, stored); // the same message again (a retry whose answer was lost) is taken
  await expect(put(maker, await message())).rejects.toThrow(/already holds this task's key sealed/);
  expect((await maker.keyView(taskId)).message).toEqual(stored);
}, 60_000);
