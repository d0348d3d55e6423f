// `radfed hub model export`: a global model in TensorFlow.js layers format (model.json with a
// weightsManifest, and one .bin shard of float32 weights in manifest order) plus a model card saying
// where it came from: task, sites, rounds, metrics, privacy. The architecture (modelTopology) comes
// from the site's model registry; until the hub has it, pass it in, or the export says it is missing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { federationMethod, homomorphicOn, type ModelMeta } from '../shared/federation/index.ts';
import { makeFolder } from '../shared/node/index.ts';
import type { HubContext } from './hub-context.ts';
import { conflict } from './hub-errors.ts';
import { wholeSplitModel, type SplitModelParts } from './model-export-split.ts';
import { findModel, loadModelWeights, modelMeta } from './model-registry.ts';
import { modelCardPrivacy } from './privacy-budget.ts';
import { definitionOf, findTask } from './tasks.ts';

export const WEIGHTS_SHARD = 'group1-shard1of1.bin';

export interface ExportedModel {
  readonly outDir: string;
  readonly version: number;
  readonly files: string[];
  /** What a consumer would still need (e.g. the architecture for tf.loadLayersModel). */
  readonly missing: string[];
}

export async function listModels(ctx: HubContext, taskIdOrName: string): Promise<ModelMeta[]> {
  const task = await findTask(ctx, taskIdOrName);
  const metas: ModelMeta[] = [];
  for (const row of await ctx.store.models.models(task.id)) metas.push(await modelMeta(ctx, row));
  return metas;
}

export async function exportModel(
  ctx: HubContext,
  options: { task: string; outDir: string; version?: number | 'latest'; modelTopology?: unknown },
): Promise<ExportedModel> {
  const task = await findTask(ctx, options.task);
  const definition = definitionOf(task);
  const row = await findModel(ctx, task.id, options.version ?? 'latest');
  // Homomorphic: every version after the random initial weights is an encrypted sum the hub cannot read.
  if (homomorphicOn(definition) && row.version > 0) {
    throw conflict(
      'model-encrypted',
      `Version ${row.version} of this task is encrypted with a key only its sites hold: export the model at a site.`,
    );
  }
  let weights = await loadModelWeights(ctx, row);
  const missing: string[] = [];
  if (options.modelTopology === undefined) {
    missing.push(
      `modelTopology: the architecture of "${definition.model.name}" is defined by the site's model registry; ` +
        'add it (or pass --topology) before loading with tf.loadLayersModel. The weights load with tf.io.decodeWeights.',
    );
  }
  // Split learning: the trunk (and with label sharing the head) learn at the hub only; the published
  // model holds their initial values, so the export takes the trained ones from the trunk checkpoint.
  let parts: SplitModelParts | null = null;
  if (federationMethod(definition.strategy).steps) {
    const whole = await wholeSplitModel(ctx, task.id, definition, row.version, weights);
    weights = whole.weights;
    parts = whole.parts;
    if (whole.missing) missing.push(whole.missing);
  }
  // Not mkdirSync's recursive mode: it never returns under /proc (shared/node/make-folder.ts).
  makeFolder(options.outDir, 'the output folder (--out)');
  const shard = Buffer.concat(
    weights.map((tensor) => Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)),
  );
  writeFileSync(join(options.outDir, WEIGHTS_SHARD), shard);
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'RadFed hub',
    convertedBy: null,
    modelTopology: options.modelTopology ?? null,
    weightsManifest: [
      {
        paths: [WEIGHTS_SHARD],
        weights: weights.map((tensor) => ({ name: tensor.name, shape: [...tensor.shape], dtype: 'float32' })),
      },
    ],
    userDefinedMetadata: { radfed: { taskId: task.id, version: row.version, sha256: row.blob_sha256 } },
  };
  writeFileSync(join(options.outDir, 'model.json'), `${JSON.stringify(modelJson, null, 2)}\n`);
  const card = await modelCard(ctx, task.id, row.version, missing, parts);
  writeFileSync(join(options.outDir, 'model-card.json'), `${JSON.stringify(card, null, 2)}\n`);
  return {
    outDir: options.outDir,
    version: row.version,
    files: ['model.json', WEIGHTS_SHARD, 'model-card.json'],
    missing,
  };
}

async function modelCard(
  ctx: HubContext,
  taskId: string,
  version: number,
  missing: string[],
  splitParts: SplitModelParts | null,
) {
  const { store } = ctx;
  const task = await findTask(ctx, taskId);
  const definition = definitionOf(task);
  const model = await modelMeta(ctx, await findModel(ctx, taskId, version));
  const rounds = await store.tasks.rounds(taskId);
  const accepted = new Map<string, number>();
  const acceptedPerRound = new Map<number, number>();
  for (const round of rounds) {
    const updates = await store.uploads.acceptedUpdates(taskId, round.number);
    acceptedPerRound.set(round.number, updates.length);
    for (const submission of updates) {
      accepted.set(submission.site_id, (accepted.get(submission.site_id) ?? 0) + 1);
    }
  }
  const sites = [];
  for (const joined of await store.sites.joinedSitesWithRemoved(taskId)) {
    sites.push({
      name: (await store.sites.site(joined.site_id))?.name ?? joined.site_id,
      joinedAt: joined.joined_at,
      acceptedUpdates: accepted.get(joined.site_id) ?? 0,
    });
  }
  const metrics = [];
  for (const row of await store.models.models(taskId))
    metrics.push({ version: row.version, ...(await modelMeta(ctx, row)).metrics });
  const privacy = await modelCardPrivacy(ctx, taskId, definition, model.round);
  return {
    cardFormat: 1,
    task: {
      id: task.id,
      name: definition.name,
      description: definition.description ?? null,
      state: task.state,
      model: definition.model,
      input: definition.input,
      labels: definition.labels,
      strategy: definition.strategy,
      localEpochs: definition.localEpochs,
      batchSize: definition.batchSize,
      optimizer: definition.optimizer,
      updateCompression: definition.compression,
    },
    model: {
      version: model.version,
      producedByRound: model.round,
      sha256: model.sha256,
      hubSignature: model.signature,
      hubSigningPublicKey: ctx.keys.signingPublicKey,
      createdAt: model.createdAt,
    },
    sites,
    rounds: rounds.map((round) => ({
      number: round.number,
      state: round.state,
      baseVersion: round.base_version,
      acceptedUpdates: acceptedPerRound.get(round.number) ?? 0,
      failureReason: round.failure_reason,
      closedAt: round.closed_at,
    })),
    metrics,
    privacy,
    // A split task's model is merged: which stages are the sites' averaged segments (from which
    // version), which the hub's trunk (from the checkpoint after how many steps).
    ...(splitParts ? { splitParts } : {}),
    missing,
  };
}
