// `radfed hub model export` of a split-learning task after a small real run (two site agents, a real
// hub on a loopback port whose trunk is kept by TrunkKeeper): the exported weights are the published
// version's site segments with the trained trunk (and, with label sharing, the head) from the hub's
// trunk checkpoint, and loaded into the whole model from the registry they give the same scores as
// the parts run one after the other: the published bottom, the hub's live trunk, the published head
// (or the hub's head).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { roundTensors, type TaskDefinition } from '../../../shared/federation/index.ts';
import { decodeTrunkState } from '../../../shared/node/split/index.ts';
import { exportModel } from '../../../hub/index.ts';
import { trunkCheckpointsFor } from '../../../hub/split/index.ts';
import { tf } from '../train/index.ts';
import { assignModelValues, createModel, splitModel, type NamedValues } from '../train/models/index.ts';
import { approveTask } from './index.ts';
import { publishedWeights, runSplitSites, splitStory, useSplitFederation } from './testing/splitfed-run.ts';

const federation = useSplitFederation({ sites: 2, patients: 8 });

/** One round of one local epoch at both sites; returns the task's id once both are done. */
async function trainSplitTask(name: string, labelSharing: boolean): Promise<string> {
  const { fixture, keeper } = federation();
  const taskId = await fixture.createTask({
    name,
    strategy: { name: 'splitfed', labelSharing },
    compression: 'none',
  });
  for (const site of fixture.sites) await approveTask(site.dir, taskId, { leakageMeter: false });
  await keeper.serveNewTasks();
  const { events, done } = runSplitSites(fixture.sites);
  for (const [i, result] of (await done).entries()) {
    expect(result.status, splitStory(events[i]!)).toBe('fulfilled');
  }
  expect(keeper.trunks.get(taskId)!.appliedSteps).toBeGreaterThan(0);
  return taskId;
}

/** The export's tensors, read back from model.json's manifest and its one float32 shard. */
function readExport(outDir: string): NamedValues[] {
  const modelJson = JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8'));
  const shard = readFileSync(join(outDir, modelJson.weightsManifest[0].paths[0]));
  const values = new Float32Array(shard.buffer, shard.byteOffset, shard.byteLength / 4);
  let offset = 0;
  return (modelJson.weightsManifest[0].weights as { name: string; shape: number[] }[]).map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    return { name: w.name, shape: w.shape, values: values.slice(offset, (offset += size)), trainable: true };
  });
}

describe.each([
  ['the U-shape', false],
  ['label sharing', true],
])('the export of a split task trained with %s', (mode, labelSharing) => {
  it('is the published site segments with the checkpoint\u2019s trunk, and runs as bottom \u2192 trunk \u2192 head', async () => {
    const { fixture, keeper } = federation();
    const taskId = await trainSplitTask(`split export ${mode}`, labelSharing);
    const { ctx } = fixture.testHub.hub;
    const outDir = join(fixture.root, `export-${labelSharing}`);
    const exported = await exportModel(ctx, { task: taskId, outDir });
    expect(exported.missing.filter((line) => /trunk/.test(line))).toEqual([]);
    const weights = readExport(outDir);

    const published = await publishedWeights(fixture, taskId, 'latest');
    const definition = JSON.parse((await ctx.store.tasks.task(taskId))!.definition) as TaskDefinition;
    const siteNames = new Set(roundTensors(definition, published).map((t) => t.name));
    const checkpoint = decodeTrunkState((await trunkCheckpointsFor(ctx).read(taskId))!.engine);
    const trained = new Map(checkpoint.tensors.map((t) => [t.name, t.values]));
    expect(weights.map((w) => w.name)).toEqual(published.map((t) => t.name));
    for (const [i, tensor] of published.entries()) {
      const expected = siteNames.has(tensor.name) ? tensor.data : trained.get(tensor.name);
      expect(Array.from(weights[i]!.values), tensor.name).toEqual(Array.from(expected!));
    }
    const hubStages = [
      ...new Set(published.filter((t) => !siteNames.has(t.name)).map((t) => t.name.split('/')[0])),
    ];
    expect(hubStages.includes('head')).toBe(labelSharing);
    const card = JSON.parse(readFileSync(join(outDir, 'model-card.json'), 'utf8'));
    expect(card.splitParts.hub).toEqual({
      stages: hubStages,
      fromCheckpointAfterSteps: checkpoint.appliedSteps,
    });

    // The whole model from the registry with the exported weights, against the parts in turn: the
    // published version's bottom (and head), the hub's trunk as the keeper holds it now.
    const config = { inputSize: definition.input.size, channels: 1, numClasses: definition.labels.length };
    const whole = createModel(definition.model.name, config);
    const parts = createModel(definition.model.name, config);
    try {
      assignModelValues(whole, weights);
      assignModelValues(
        parts,
        published.map((t) => ({ name: t.name, shape: [...t.shape], values: t.data, trainable: true })),
      );
      const site = splitModel(parts);
      const hub = keeper.trunks.get(taskId)!;
      const images = tf.randomUniform([3, config.inputSize, config.inputSize, 1], 0, 1, 'float32', 7);
      const scores = tf.tidy(() => whole.logits(images as tf.Tensor4D));
      const composed = tf.tidy(() => {
        const atCut2 = hub.trunk.apply(site.bottom.apply(images, 'infer'), 'infer');
        return labelSharing ? atCut2 : site.head.apply(atCut2, 'infer');
      });
      const [a, b] = [await scores.data(), await composed.data()];
      expect(a.length).toBe(3 * config.numClasses);
      for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(b[k]!, 5);
      tf.dispose([images, scores, composed]);
    } finally {
      whole.dispose();
      parts.dispose();
    }
  }, 300_000);
});
