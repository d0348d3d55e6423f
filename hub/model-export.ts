// `radfed hub model export`: a global model in TensorFlow.js layers format (model.json with a
// weightsManifest, and one .bin shard of float32 weights in manifest order) plus a model card saying
// where it came from: task, sites, rounds, metrics, privacy. The architecture (modelTopology) comes
// from the site's model registry; until the hub has it, pass it in, or the export says it is missing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homomorphicOn, type ModelMeta } from '../shared/federation/index.ts';
import type { HubContext } from './hub-context.ts';
import { conflict } from './hub-errors.ts';
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

export function listModels(ctx: HubContext, taskIdOrName: string): ModelMeta[] {
  const task = findTask(ctx, taskIdOrName);
  return ctx.store.models.models(task.id).map((row) => modelMeta(ctx, row));
}

export function exportModel(
  ctx: HubContext,
  options: { task: string; outDir: string; version?: number | 'latest'; modelTopology?: unknown },
): ExportedModel {
  const task = findTask(ctx, options.task);
  const definition = definitionOf(task);
  const row = findModel(ctx, task.id, options.version ?? 'latest');
  // Homomorphic: every version after the random initial weights is an encrypted sum the hub cannot read.
  if (homomorphicOn(definition) && row.version > 0) {
    throw conflict(
      'model-encrypted',
      `Version ${row.version} of this task is encrypted with a key only its sites hold: export the model at a site.`,
    );
  }
  const weights = loadModelWeights(ctx, row);
  const missing: string[] = [];
  if (options.modelTopology === undefined) {
    missing.push(
      `modelTopology: the architecture of "${definition.model.name}" is defined by the site's model registry; ` +
        'add it (or pass --topology) before loading with tf.loadLayersModel. The weights load with tf.io.decodeWeights.',
    );
  }
  mkdirSync(options.outDir, { recursive: true });
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
  writeFileSync(
    join(options.outDir, 'model-card.json'),
    `${JSON.stringify(modelCard(ctx, task.id, row.version, missing), null, 2)}\n`,
  );
  return {
    outDir: options.outDir,
    version: row.version,
    files: ['model.json', WEIGHTS_SHARD, 'model-card.json'],
    missing,
  };
}

function modelCard(ctx: HubContext, taskId: string, version: number, missing: string[]) {
  const { store } = ctx;
  const task = findTask(ctx, taskId);
  const definition = definitionOf(task);
  const model = modelMeta(ctx, findModel(ctx, taskId, version));
  const rounds = store.tasks.rounds(taskId);
  const accepted = new Map<string, number>();
  for (const round of rounds) {
    for (const submission of store.uploads.acceptedUpdates(taskId, round.number)) {
      accepted.set(submission.site_id, (accepted.get(submission.site_id) ?? 0) + 1);
    }
  }
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
    sites: store.sites.joinedSitesWithRemoved(taskId).map((joined) => ({
      name: store.sites.site(joined.site_id)?.name ?? joined.site_id,
      joinedAt: joined.joined_at,
      acceptedUpdates: accepted.get(joined.site_id) ?? 0,
    })),
    rounds: rounds.map((round) => ({
      number: round.number,
      state: round.state,
      baseVersion: round.base_version,
      acceptedUpdates: store.uploads.acceptedUpdates(taskId, round.number).length,
      failureReason: round.failure_reason,
      closedAt: round.closed_at,
    })),
    metrics: store.models
      .models(taskId)
      .map((row) => ({ version: row.version, ...modelMeta(ctx, row).metrics })),
    privacy: modelCardPrivacy(ctx, taskId, definition, model.round),
    missing,
  };
}
