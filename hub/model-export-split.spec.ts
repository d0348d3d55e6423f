// A split-learning task's export is the whole model: the published version's site segments merged with
// the trained trunk (and, with label sharing, the head) from the hub's trunk checkpoint, in the model's
// tensor order, with the model card saying which part came from where.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, type NamedTensor } from '../shared/federation/index.ts';
import { encodeTrunkState } from '../shared/node/split/index.ts';
import { exportModel } from './model-export.ts';
import { trunkCheckpointsFor } from './split/index.ts';
import { createTask } from './tasks.ts';
import { makeTestHub, testTask, type TestHub } from './testing/test-hub.ts';

let test: TestHub;
beforeAll(async () => {
  test = await makeTestHub();
});
afterAll(() => test.cleanup());

/** The reference CNN's stages, one small tensor each (the hub builds no model: names and shapes only). */
function publishedModel(): NamedTensor[] {
  const stages = ['conv1', 'conv2', 'conv3', 'conv4', 'head'];
  return stages.flatMap((stage, i) => [
    { name: `${stage}/kernel`, shape: [2, 2], data: Float32Array.from([1, 2, 3, 4], (v) => v + 10 * i) },
    { name: `${stage}/bias`, shape: [2], data: Float32Array.from([5, 6], (v) => v + 10 * i) },
  ]);
}

/** The trunk keeper's checkpoint: trained values of the hub's stages, and an optimizer moment beside them. */
function trainedCheckpoint(hubStages: string[], appliedSteps: number): Uint8Array {
  const tensors = publishedModel()
    .filter((t) => hubStages.includes(t.name.split('/')[0]!))
    .flatMap((t) => [
      { name: t.name, shape: [...t.shape], values: t.data.map((v) => -v), trainable: true },
      { name: `adam/${t.name}/m`, shape: [...t.shape], values: t.data.map(() => 0.5), trainable: false },
    ]);
  return encodeTrunkState({ appliedSteps, tensors, sessions: [] });
}

async function exportSplit(name: string, labelSharing: boolean, checkpoint: Uint8Array | null) {
  const task = await createTask(
    test.hub.ctx,
    testTask({ name, strategy: { name: 'splitfed', labelSharing } }),
    encodeWeights(publishedModel()),
  );
  if (checkpoint) await trunkCheckpointsFor(test.hub.ctx).write(task.id, new Map(), checkpoint);
  const outDir = join(test.dir, '..', name);
  const exported = await exportModel(test.hub.ctx, { task: task.id, outDir });
  const modelJson = JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8'));
  const shard = readFileSync(join(outDir, 'group1-shard1of1.bin'));
  const values = new Float32Array(shard.buffer, shard.byteOffset, shard.byteLength / 4);
  const card = JSON.parse(readFileSync(join(outDir, 'model-card.json'), 'utf8'));
  let offset = 0;
  const weights = (modelJson.weightsManifest[0].weights as { name: string; shape: number[] }[]).map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const data = Array.from(values.subarray(offset, (offset += size)));
    return { name: w.name, data };
  });
  return { exported, weights, card };
}

describe('the export of a split-learning task', () => {
  it('holds the sites\u2019 bottom and head with the hub\u2019s trained trunk from its checkpoint', async () => {
    const { exported, weights, card } = await exportSplit(
      'split trunk',
      false,
      trainedCheckpoint(['conv3', 'conv4'], 7),
    );
    const published = publishedModel();
    expect(weights.map((w) => w.name)).toEqual(published.map((t) => t.name));
    for (const [i, tensor] of published.entries()) {
      const trunk = ['conv3', 'conv4'].includes(tensor.name.split('/')[0]!);
      expect(weights[i]!.data, tensor.name).toEqual(
        Array.from(trunk ? tensor.data.map((v) => -v) : tensor.data),
      );
    }
    expect(exported.missing.filter((line) => /trunk/.test(line))).toEqual([]);
    expect(card.splitParts).toEqual({
      sites: { stages: ['conv1', 'conv2', 'head'], fromVersion: 0 },
      hub: { stages: ['conv3', 'conv4'], fromCheckpointAfterSteps: 7 },
    });
  });

  it('with label sharing, takes the head from the checkpoint too', async () => {
    const { weights, card } = await exportSplit(
      'split head',
      true,
      trainedCheckpoint(['conv3', 'conv4', 'head'], 3),
    );
    const published = publishedModel();
    for (const [i, tensor] of published.entries()) {
      const hub = ['conv3', 'conv4', 'head'].includes(tensor.name.split('/')[0]!);
      expect(weights[i]!.data, tensor.name).toEqual(
        Array.from(hub ? tensor.data.map((v) => -v) : tensor.data),
      );
    }
    expect(card.splitParts.hub).toEqual({ stages: ['conv3', 'conv4', 'head'], fromCheckpointAfterSteps: 3 });
  });

  it('says the trunk is at its initial values while the trunk has no checkpoint', async () => {
    const { exported, weights, card } = await exportSplit('split fresh', false, null);
    expect(weights.map((w) => w.data)).toEqual(publishedModel().map((t) => Array.from(t.data)));
    expect(exported.missing).toContainEqual(
      expect.stringMatching(/^the trunk: .* initial values; .* trunk checkpoint/),
    );
    expect(card.splitParts.hub.fromCheckpointAfterSteps).toBeNull();
  });

  it('refuses, in words, a checkpoint that does not fit the task\u2019s model', async () => {
    await expect(exportSplit('split misfit', false, trainedCheckpoint(['conv3'], 1))).rejects.toThrow(
      /trunk checkpoint does not fit its model \(tensor conv4\/kernel\)/,
    );
  });
});
