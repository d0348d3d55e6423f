// The route that carries a homomorphic task's key, at a real hub on a loopback port. The key message
// holds one sealed copy of the key (about 40 KB) per joined site, and the route took the hub's 1 MiB
// JSON limit: the maker of a task with 30 sites was refused 413 and the task's rounds never
// collected. Now it takes what the task's sites need, and a body declared larger than that is
// refused before a byte of it is read.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeWeights, homomorphicPaths, taskDefinitionSchema } from '../../shared/federation/index.ts';
import { enrollSite, loadPrivateKey, signRequest } from '../../shared/node/federation/index.ts';
import { taskKeyMessageLimit } from '../../shared/node/homomorphic/index.ts';
import { HomomorphicTestSite } from '../homomorphic/testing/homomorphic-test-site.ts';
import { createTask } from '../tasks.ts';
import { makeTestHub, testTask, testWeights, waitFor, type TestHub } from '../testing/test-hub.ts';
import { sendRaw } from './testing/raw-sender.ts';

const SITES = 30;
let test: TestHub;
let sites: HomomorphicTestSite[];
let taskId: string;

beforeAll(async () => {
  test = await makeTestHub();
  const { hub } = test;
  const input = testTask({ quorum: 2, privacy: { secureAggregation: false, homomorphic: true } });
  taskId = (await createTask(hub.ctx, input, encodeWeights(testWeights(2)))).id;
  sites = [];
  for (let i = 0; i < SITES; i += 1) {
    const token = (await hub.createToken()).token;
    sites.push(new HomomorphicTestSite(await enrollSite({ token, siteName: `Key route ${i}` })));
  }
  for (const site of sites) await site.client.joinTask(taskId, { train: 20, validation: 5 });
}, 120_000);
afterAll(async () => {
  await test?.cleanup();
});

it('refuses a key message declared larger than the task’s joined sites can need, before reading it', async () => {
  const maker = sites[0]!;
  const path = homomorphicPaths.taskKey(taskId);
  const declared = taskKeyMessageLimit(SITES) + 1;
  const answer = await sendRaw({
    url: test.hub.url,
    caPem: maker.enrollment.caPem,
    method: 'PUT',
    path,
    headers: {
      ...signRequest({
        method: 'PUT',
        path,
        siteId: maker.client.siteId,
        privateKey: loadPrivateKey(maker.enrollment.signingPrivateKeyPem),
        body: Buffer.alloc(declared),
      }),
      'content-type': 'application/json',
    },
    body: Buffer.alloc(declared),
    // Only the start is sent: the answer must come without the rest.
    stopAfter: 64 * 1024,
  });
  expect(answer.status).toBe(413);
  expect(answer.code).toBe('too-large');
});

it(`takes the key of a task with ${SITES} sites (about 1.2 MB), and the round collects`, async () => {
  const { hub } = test;
  const definition = taskDefinitionSchema.parse(
    testTask({ quorum: 2, privacy: { secureAggregation: false, homomorphic: true } }),
  );
  await sites[0]!.makeKey(taskId, definition);
  await waitFor(
    hub,
    async () => (await sites[0]!.client.getRound(taskId)).state === 'collecting',
    'collection',
  );
  // Any site opens its own copy.
  const last = await sites[SITES - 1]!.receiveKey(taskId);
  expect(last.parameters.maxSites).toBe(32);
}, 60_000);
