// The model registry's export: TensorFlow.js layers format (weightsManifest + one float32 shard in
// manifest order) and a model card with task, sites, rounds, metrics and privacy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights } from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { exportModel, listModels } from './model-export.ts';
import { createTask } from './tasks.ts';
import {
  makeTestHubWithSites,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub;
let sites: HubClient[];
let taskId: string;

beforeAll(async () => {
  ({ test, clients: sites } = await makeTestHubWithSites(['Left', 'Right']));
  taskId = (
    await createTask(test.hub.ctx, testTask({ name: 'export me', rounds: 2 }), encodeWeights(testWeights(2)))
  ).id;
  for (const site of sites) await site.joinTask(taskId);
  for (let round = 1; round <= 2; round += 1) {
    await waitFor(
      test.hub,
      async () => (await test.hub.ctx.store.tasks.round(taskId, round))?.state === 'collecting',
      `round ${round}`,
    );
    for (const [i, site] of sites.entries()) await sendDelta(site, taskId, 0.01 * (i + 1), 10 * (i + 1));
    await waitFor(
      test.hub,
      async () => await test.hub.ctx.store.models.model(taskId, round),
      `version ${round}`,
    );
    await sites[0]!.postMetrics(taskId, round, { loss: 0.4, accuracy: 0.7 + round / 100, auc: 0.8, n: 50 });
  }
  await waitFor(
    test.hub,
    async () => (await test.hub.ctx.store.tasks.task(taskId))?.state === 'completed',
    'completed',
  );
});
afterAll(() => test.cleanup());

describe('model registry and export', () => {
  it('lists every version with its metrics', async () => {
    const models = await listModels(test.hub.ctx, 'export me');
    expect(models.map((m) => [m.version, m.round])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(models[2]!.metrics).toMatchObject({ accuracy: 0.72, n: 50, sites: 1 });
    expect(models[0]!.metrics).toMatchObject({ accuracy: null, sites: 0 });
  });

  it('writes model.json, a float32 shard in manifest order, and a model card', async () => {
    const outDir = join(test.dir, '..', 'export');
    const exported = await exportModel(test.hub.ctx, { task: taskId, outDir });
    expect(exported.version).toBe(2);
    expect(exported.missing[0]).toMatch(/modelTopology/);
    const modelJson = JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    const manifest = modelJson.weightsManifest[0];
    expect(manifest.paths).toEqual(['group1-shard1of1.bin']);
    const global = decodeWeights(
      await test.hub.ctx.store.blobs.read((await test.hub.ctx.store.models.model(taskId, 2))!.blob_sha256),
    );
    expect(manifest.weights).toEqual(global.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })));
    const shard = readFileSync(join(outDir, 'group1-shard1of1.bin'));
    const values = new Float32Array(shard.buffer, shard.byteOffset, shard.byteLength / 4);
    expect(Array.from(values)).toEqual(global.flatMap((t) => Array.from(t.data)));
    const card = JSON.parse(readFileSync(join(outDir, 'model-card.json'), 'utf8'));
    expect(card.task).toMatchObject({ id: taskId, name: 'export me', state: 'completed' });
    expect(
      card.sites.map((s: { name: string; acceptedUpdates: number }) => [s.name, s.acceptedUpdates]),
    ).toEqual([
      ['Left', 2],
      ['Right', 2],
    ]);
    expect(card.rounds.map((r: { state: string }) => r.state)).toEqual(['published', 'published']);
    expect(card.metrics.at(-1)).toMatchObject({ version: 2, accuracy: 0.72 });
    expect(card.privacy).toMatchObject({ secureAggregation: { enabled: false } });
    expect(card.model.hubSigningPublicKey).toBe(test.hub.ctx.keys.signingPublicKey);
  });

  it('takes the architecture when given, and an older version on request', async () => {
    const outDir = join(test.dir, '..', 'export-v1');
    const topology = { class_name: 'Sequential', config: { layers: [] } };
    const exported = await exportModel(test.hub.ctx, {
      task: taskId,
      outDir,
      version: 1,
      modelTopology: topology,
    });
    expect(exported.missing).toEqual([]);
    expect(JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8')).modelTopology).toEqual(topology);
    await expect(exportModel(test.hub.ctx, { task: taskId, outDir, version: 9 })).rejects.toThrow(
      /no global model version 9/,
    );
  });

  it('says a split-learning export lacks the hub\u2019s trunk and head, which are in its trunk checkpoint', async () => {
    const split = await createTask(
      test.hub.ctx,
      testTask({ name: 'split export', strategy: { name: 'splitfed', labelSharing: true } }),
      encodeWeights(testWeights(2)),
    );
    const exported = await exportModel(test.hub.ctx, {
      task: split.id,
      outDir: join(test.dir, '..', 'split'),
    });
    expect(exported.missing).toContainEqual(
      expect.stringMatching(/^the trunk and the head: .* initial values; .* trunk checkpoint/),
    );
  });
});
