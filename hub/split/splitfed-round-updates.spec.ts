// A split-learning round's update holds the site's own segments (bottom and head), never the trunk,
// which the hub trains step by step. A real hub on a loopback port, real sites: plain updates of the
// segments are checked and averaged into the segments alone (the trunk's tensors come out exactly as
// they went in); a hostile site that sends the trunk's tensors, a wrong shape or NaN is refused with
// the reason; under secure aggregation the masked vector is the segments' length (a whole model's is
// refused) and the unmasked mean moves the segments only.
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeWeights,
  roundTensors,
  taskDefinitionSchema,
  type NamedTensor,
} from '../../shared/federation/index.ts';
import type { HubClient } from '../../shared/node/federation/index.ts';
import { createTask } from '../tasks.ts';
import { refusal } from '../testing/hub-refusal.ts';
import { SecureTestSite } from '../testing/secure-test-site.ts';
import { enrollTestSite, makeTestHub, testTask, waitFor, type TestHub } from '../testing/test-hub.ts';

let test: TestHub | undefined;
afterEach(async () => {
  await test?.cleanup();
  test = undefined;
});

const STRATEGY = { name: 'splitfed', frameDtype: 'float16', labelSharing: false } as const;

/** A small model named as resnet-small's stages are (the hub reads only names and shapes). */
function model(): NamedTensor[] {
  const tensor = (name: string, shape: number[], seed: number): NamedTensor => ({
    name,
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed + i) * 0.1),
  });
  return [
    tensor('stem/conv/kernel', [3, 3, 1, 2], 1),
    tensor('stem/bn/gamma', [2], 2),
    tensor('block1/conv1/kernel', [3, 3, 2, 4], 3),
    tensor('block2/conv1/kernel', [3, 3, 4, 8], 4),
    tensor('block2/bn1/beta', [8], 5),
    tensor('block3/conv1/kernel', [3, 3, 8, 8], 6),
    tensor('head/kernel', [16, 2], 7),
    tensor('head/bias', [2], 8),
  ];
}
const TRUNK = ['block2/conv1/kernel', 'block2/bn1/beta', 'block3/conv1/kernel'];

async function splitTask(secure: boolean, siteCount: number) {
  test = await makeTestHub();
  const { hub } = test;
  const clients: HubClient[] = [];
  for (let i = 0; i < siteCount; i++) clients.push((await enrollTestSite(hub, `Split ${i}`)).client);
  const input = testTask({
    model: { name: 'resnet-small' },
    strategy: STRATEGY,
    rounds: 1,
    quorum: 2,
    privacy: {
      secureAggregation: secure ? { neighbours: 3, clipRange: 0.5, bits: 12, phaseSeconds: 30 } : false,
    },
  });
  const base = model();
  const task = await createTask(hub.ctx, input, encodeWeights(base));
  for (const client of clients) await client.joinTask(task.id, { train: 200, validation: 10 });
  await waitFor(
    hub,
    async () => (await hub.ctx.store.tasks.latestRound(task.id))?.state === 'collecting',
    'collection',
  );
  const definition = taskDefinitionSchema.parse(input);
  return { hub, taskId: task.id, clients, base, segments: roundTensors(definition, base) };
}

const filled = (tensors: readonly NamedTensor[], value: number): NamedTensor[] =>
  tensors.map((t) => ({ ...t, data: new Float32Array(t.data.length).fill(value) }));

function send(client: HubClient, taskId: string, delta: readonly NamedTensor[], examples = 40) {
  return client.uploadSealed(
    taskId,
    client.seal({
      taskId,
      round: 1,
      kind: 'delta',
      weights: delta,
      baseVersion: 0,
      examples,
      compression: 'none',
    }),
  );
}

/** The sentence of the hub's refusal of an update. */
async function updateRefusal(promise: Promise<unknown>): Promise<string> {
  const error = await refusal(promise);
  expect(error.hubCode).toBe('update-rejected');
  return error.message;
}

async function published(hub: TestHub['hub'], client: HubClient, taskId: string) {
  await waitFor(
    hub,
    async () => (await hub.ctx.store.models.latestModel(taskId))?.version === 1,
    'version 1',
  );
  return (await client.downloadModel(taskId, 1)).weights;
}

const values = (tensors: readonly NamedTensor[]) => tensors.reduce((n, t) => n + t.data.length, 0);

describe('a split round’s update', () => {
  it('holds the segments only: the trunk, a wrong shape and NaN are refused; the mean moves the segments alone', async () => {
    const { hub, taskId, clients, base, segments } = await splitTask(false, 2);
    const [a, b] = clients as [HubClient, HubClient];
    expect(segments.map((t) => t.name)).toEqual([
      'stem/conv/kernel',
      'stem/bn/gamma',
      'block1/conv1/kernel',
      'head/kernel',
      'head/bias',
    ]);

    // The whole model, trunk included (what sites sent before): refused, saying the trunk is the hub's.
    expect(await updateRefusal(send(a, taskId, filled(base, 0.01)))).toMatch(
      /"block2\/conv1\/kernel", which is the hub's to train .* holds only the site’s own segments/,
    );
    // The segments with one trunk tensor added.
    const withTrunk = [
      ...filled(segments, 0.01),
      ...filled(
        base.filter((t) => t.name === TRUNK[2]),
        0,
      ),
    ];
    expect(await updateRefusal(send(a, taskId, withTrunk))).toMatch(
      /"block3\/conv1\/kernel", which is the hub's/,
    );
    // A segment of the wrong shape, a missing segment, a value that is not a number.
    const reshaped = filled(segments, 0.01).map((t) =>
      t.name === 'head/bias' ? { ...t, shape: [1, 2] } : t,
    );
    expect(await updateRefusal(send(a, taskId, reshaped))).toMatch(/"head\/bias" has shape \[1, 2\]/);
    expect(await updateRefusal(send(a, taskId, filled(segments, 0.01).slice(1)))).toMatch(
      /has 4 tensors but the global model has 5/,
    );
    const poisoned = filled(segments, 0.01);
    poisoned[0]!.data[3] = Number.NaN;
    expect(await updateRefusal(send(a, taskId, poisoned))).toMatch(/not finite/);

    // The segments alone are taken, and averaged into the segments (weights 40 and 120).
    expect((await send(a, taskId, filled(segments, 0.04), 40)).submission.state).toBe('accepted');
    expect((await send(b, taskId, filled(segments, 0.08), 120)).submission.state).toBe('accepted');
    const next = await published(hub, a, taskId);
    expect(next.map((t) => t.name)).toEqual(base.map((t) => t.name));
    for (const [i, tensor] of next.entries()) {
      const before = base[i]!.data;
      if (TRUNK.includes(tensor.name)) expect(tensor.data).toEqual(before);
      else tensor.data.forEach((v, k) => expect(v - before[k]!).toBeCloseTo(0.07, 6));
    }
  });

  it('under secure aggregation is a masked vector of the segments’ length; a whole model’s is refused', async () => {
    const { hub, taskId, clients, base, segments } = await splitTask(true, 3);
    const sites = clients.map((client) => new SecureTestSite(client, taskId, 1));
    for (const site of sites) await site.advertise();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'sharing', 'the sharing phase');
    for (const site of sites) await site.share();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'masking', 'the masking phase');

    const wholeValues = values(base);
    const segmentValues = values(segments);
    expect(await updateRefusal(sites[0]!.mask(filled(base, 0.1), 40, 0))).toBe(
      `The masked input has ${wholeValues + 1} values but an update of this task holds ${segmentValues + 1}; ` +
        "train the task's model with this task's settings.",
    );
    const sent = [];
    for (const [i, site] of sites.entries())
      sent.push(await site.mask(filled(segments, 0.1 * (i + 1)), 40, 0));
    for (const { submission } of sent) expect(submission.state).toBe('accepted');
    // What went up: the segments' values and the weight as 32-bit words, sealed.
    for (const { upload } of sent) expect(upload.bytes).toBeLessThan((segmentValues + 1) * 4 + 512);

    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'unmasking', 'the unmasking phase');
    for (const site of sites) await site.reveal();
    const next = await published(hub, clients[0]!, taskId);
    const step = 1 / (2 ** 12 - 1); // one quantisation level of ±0.5 in 12 bits
    for (const [i, tensor] of next.entries()) {
      const before = base[i]!.data;
      if (TRUNK.includes(tensor.name)) expect(tensor.data).toEqual(before);
      else tensor.data.forEach((v, k) => expect(Math.abs(v - before[k]! - 0.2)).toBeLessThan(step));
    }
  });
});
