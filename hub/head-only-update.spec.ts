// A DP fine-tuning task that trains only the head (issue 16) at a real hub on a real port, plain and
// secure: a site's update holds the head's tensors only, a small fraction of the model's bytes; the
// FedAvgM server step moves those tensors by name as the whole-model path would and leaves every other
// tensor (frozen weights, batch norm's running statistics) exactly as the initial model had them; an
// update that holds a frozen tensor is refused with a sentence saying so. Before, the hub took only
// whole-model updates: the head-only update was refused and the whole model travelled every round.
import { afterEach, describe, expect, it } from 'vitest';
import {
  combineUpdates,
  encodeWeights,
  federationMethod,
  HubRequestError,
  type NamedTensor,
  type TaskDefinition,
} from '../shared/federation/index.ts';
import { openSealed, uploadContext, type HubClient } from '../shared/node/federation/index.ts';
import { decodeMaskedInput } from '../shared/node/secagg/index.ts';
import { createTask, definitionOf } from './tasks.ts';
import { SecureTestSite } from './testing/secure-test-site.ts';
import { enrollTestSite, makeTestHub, testTask, waitFor, type TestHub } from './testing/test-hub.ts';

let test: TestHub | undefined;
afterEach(async () => {
  await test?.cleanup();
  test = undefined;
});

/** A model laid out as main/site/train/models names it: a trunk with batch norm, then the head. */
function pretrained(): NamedTensor[] {
  let state = 7;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 0.2;
  };
  const tensor = (name: string, shape: number[]) => ({
    name,
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, random),
  });
  return [
    tensor('stem/conv/kernel', [3, 3, 16, 32]),
    tensor('stem/bn/gamma', [32]),
    tensor('stem/bn/beta', [32]),
    tensor('stem/bn/moving_mean', [32]),
    tensor('stem/bn/moving_variance', [32]),
    tensor('block1/conv1/kernel', [3, 3, 32, 32]),
    tensor('head/dense/kernel', [64, 2]),
    tensor('head/dense/bias', [2]),
  ];
}

const isHead = (tensor: { name: string }) => tensor.name.startsWith('head/');
const valuesOf = (tensors: readonly NamedTensor[]) => tensors.reduce((n, t) => n + t.data.length, 0);
/** Site i's change to every tensor (the head's part is what a head-only update sends). */
const changeOf = (i: number, base: readonly NamedTensor[]): NamedTensor[] =>
  base.map((t) => ({ ...t, data: t.data.map((_, k) => 0.3 * Math.sin(i * 5 + k)) }));

const CLIP = 0.5;

async function headOnlyTask(secure: boolean, strategy: 'fedavgm' | 'fedadam' | 'median' = 'fedavgm') {
  test = await makeTestHub();
  const { hub } = test;
  const clients: HubClient[] = [];
  for (const name of ['Ash', 'Birch']) clients.push((await enrollTestSite(hub, name)).client);
  const base = pretrained();
  const task = await createTask(
    hub.ctx,
    testTask({
      model: { name: 'resnet-small' },
      rounds: 20,
      quorum: 2,
      strategy: { name: strategy },
      privacy: {
        secureAggregation: secure ? { neighbours: 3, clipRange: CLIP, bits: 16, phaseSeconds: 30 } : false,
        differentialPrivacy: {
          unit: 'patient',
          l2NormClip: 1,
          noiseMultiplier: 1.557,
          samplingRate: 0.2,
          budget: { epsilon: 8, delta: 1e-5 },
          trainableLayers: 'head',
        },
      },
    }),
    encodeWeights(base),
  );
  for (const client of clients) await client.joinTask(task.id, { train: 40, validation: 10 });
  await waitFor(
    hub,
    async () => (await hub.ctx.store.tasks.latestRound(task.id))?.state === 'collecting',
    'collection',
  );
  return { hub, taskId: task.id, clients, base, definition: definitionOf(task) };
}

function upload(client: HubClient, taskId: string, delta: readonly NamedTensor[]) {
  const sealed = client.seal({
    taskId,
    round: 1,
    kind: 'delta',
    weights: [...delta],
    baseVersion: 0,
    examples: 1,
    compression: 'none',
  });
  return client.uploadSealed(taskId, sealed);
}

/** What the task's method publishes from the whole model's changes (the path every tensor took before). */
function wholeModelResult(definition: TaskDefinition, base: readonly NamedTensor[]) {
  const updates = [0, 1].map((i) => ({ siteId: `site-${i}`, examples: 1, delta: changeOf(i, base) }));
  return combineUpdates(federationMethod(definition.strategy), base, updates).weights;
}

function expectHeadMovedOnly(
  definition: TaskDefinition,
  published: readonly NamedTensor[],
  base: readonly NamedTensor[],
  tolerance: number,
) {
  const whole = wholeModelResult(definition, base);
  expect(published.map((t) => t.name)).toEqual(base.map((t) => t.name));
  published.forEach((tensor, index) => {
    if (isHead(tensor)) {
      const wanted = whole[index]!.data;
      const furthest = tensor.data.reduce((m, v, k) => Math.max(m, Math.abs(v - (wanted[k] as number))), 0);
      expect(furthest, tensor.name).toBeLessThanOrEqual(tolerance);
      expect(tensor.data).not.toEqual(base[index]!.data);
    } else {
      expect(tensor.data, tensor.name).toEqual(base[index]!.data); // frozen: exactly the initial model
    }
  });
}

describe('a head-only (DP fine-tuning) task', () => {
  it.each(['fedavgm', 'fedadam', 'median'] as const)(
    'takes plain updates of the head alone, a small fraction of the model, and moves only the head (%s)',
    async (strategy) => {
      const { hub, taskId, clients, base, definition } = await headOnlyTask(false, strategy);
      for (const [i, client] of clients.entries())
        await upload(client, taskId, changeOf(i, base).filter(isHead));
      await waitFor(hub, async () => (await hub.ctx.store.models.latestModel(taskId))?.version === 1, 'v1');
      const wholeModelBytes = valuesOf(base) * 4;
      for (const submission of await hub.ctx.store.uploads.acceptedUpdates(taskId, 1)) {
        const bytes = (await hub.ctx.store.blobs.read(submission.blob_sha256)).byteLength;
        expect(bytes).toBeLessThan(wholeModelBytes * 0.1);
      }
      const { weights } = await clients[0]!.downloadModel(taskId, 1);
      expectHeadMovedOnly(definition, weights, base, 1e-6);
    },
    60_000,
  );

  it('refuses a plain update that holds a frozen tensor, saying the task keeps it frozen', async () => {
    const { taskId, clients, base } = await headOnlyTask(false);
    const caught = await upload(clients[0]!, taskId, changeOf(0, base)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(caught).toBeInstanceOf(HubRequestError);
    expect((caught as Error).message).toMatch(
      /"stem\/conv\/kernel", which this task keeps frozen: it trains only the "head" layers/,
    );
  }, 60_000);

  it('under secure aggregation masks the head alone, refuses a whole-model vector, and moves only the head', async () => {
    const { hub, taskId, clients, base, definition } = await headOnlyTask(true);
    const sites = clients.map((client) => new SecureTestSite(client, taskId, 1));
    for (const site of sites) await site.advertise();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'sharing', 'the sharing phase');
    for (const site of sites) await site.share();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'masking', 'the masking phase');
    // The whole model's vector is the wrong length for this task: refused with the length it wants.
    const wrong = await sites[0]!.mask(changeOf(0, base), 1, 0).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((wrong as Error).message).toMatch(/has 14083 values but an update of this task holds 131/);
    for (const [i, site] of sites.entries()) await site.mask(changeOf(i, base).filter(isHead), 1, 0);
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'unmasking', 'the unmasking phase');
    for (const site of sites) await site.reveal();
    await waitFor(hub, async () => (await hub.ctx.store.models.latestModel(taskId))?.version === 1, 'v1');
    const wholeModelBytes = valuesOf(base) * 4;
    for (const submission of await hub.ctx.store.uploads.acceptedUpdates(taskId, 1)) {
      const sealed = await hub.ctx.store.blobs.read(submission.blob_sha256);
      expect(sealed.byteLength).toBeLessThan(wholeModelBytes * 0.1);
      const opened = openSealed(
        sealed,
        hub.ctx.keys.exchangeKey,
        uploadContext({ taskId, round: 1, siteId: submission.site_id, kind: 'delta' }),
      );
      // The head's 130 values and the masked weight.
      expect(decodeMaskedInput(opened).length).toBe(valuesOf(base.filter(isHead)) + 1);
    }
    const { weights } = await clients[0]!.downloadModel(taskId, 1);
    // Within one quantisation step of the secure sum (16 bits over ±0.5).
    expectHeadMovedOnly(definition, weights, base, (2 * CLIP) / (2 ** 16 - 1));
  }, 60_000);
});
