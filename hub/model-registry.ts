// The model registry: every global model version of a task, stored as an RFW1 blob (float32), signed
// by the hub, with the sites' evaluations of it aggregated weighted by their example counts.
import { taskChannel } from './hub-events.ts';
import {
  decodeWeights,
  encodeWeights,
  examplesBound,
  MAX_REPORTED_LOSS,
  taskDefinitionSchema,
  type AggregatedMetrics,
  type MetricsRequest,
  type ModelMeta,
  type NamedTensor,
  type WeightSet,
} from '../shared/federation/index.ts';
import { signGlobalModel } from '../shared/node/federation/index.ts';
import { isoAt, type HubContext } from './hub-context.ts';
import { notFound, unprocessable } from './hub-errors.ts';
import type { EvaluationRow, HubRows, ModelRow } from './store/index.ts';

/** Writes the model's blob (outside any transaction: a blob is harmless until a row points at it). */
export async function storeModelBlob(
  ctx: HubContext,
  weights: WeightSet,
): Promise<{ sha256: string; bytes: number }> {
  // Whole in memory: the hub has just computed these weights, and encodes them in one buffer.
  const encoded = encodeWeights(weights, 'none');
  return { sha256: await ctx.store.blobs.put(encoded), bytes: encoded.byteLength };
}

/** Inserts the signed registry row; call inside the transaction that changes the round. */
export async function insertModelRow(
  ctx: HubContext,
  rows: HubRows,
  model: { taskId: string; version: number; round: number; sha256: string; bytes: number },
): Promise<ModelRow> {
  const row: ModelRow = {
    task_id: model.taskId,
    version: model.version,
    round: model.round,
    blob_sha256: model.sha256,
    signature: signGlobalModel(
      { taskId: model.taskId, version: model.version, round: model.round, sha256: model.sha256 },
      ctx.keys.signingKey,
    ),
    bytes: model.bytes,
    created_at: isoAt(ctx),
  };
  await rows.models.insertModel(row);
  return row;
}

export async function findModel(
  ctx: HubContext,
  taskId: string,
  version: number | 'latest',
): Promise<ModelRow> {
  const row =
    version === 'latest'
      ? await ctx.store.models.latestModel(taskId)
      : await ctx.store.models.model(taskId, version);
  if (!row) {
    throw notFound(
      'no-model',
      version === 'latest'
        ? `Task ${taskId} has no global model yet: it waits for an initial model.`
        : `Task ${taskId} has no global model version ${version}.`,
    );
  }
  return row;
}

export async function modelMeta(ctx: HubContext, row: ModelRow): Promise<ModelMeta> {
  return {
    taskId: row.task_id,
    version: row.version,
    round: row.round,
    sha256: row.blob_sha256,
    signature: row.signature,
    bytes: row.bytes,
    createdAt: row.created_at,
    metrics: aggregateEvaluations(await ctx.store.models.evaluations(row.task_id, row.version)),
  };
}

const decoded = new Map<string, NamedTensor[]>();
const DECODED_KEPT = 4;

/** The weights of a model version, decoded (a few recent ones are kept in memory: every upload is checked against its base). */
export async function loadModelWeights(ctx: HubContext, row: ModelRow): Promise<NamedTensor[]> {
  const key = `${ctx.layout.root}|${row.blob_sha256}`;
  const hit = decoded.get(key);
  if (hit) return hit;
  // Whole bytes: decoding a model needs all of it (the decoded tensors are as large again).
  const weights = decodeWeights(await ctx.store.blobs.read(row.blob_sha256));
  decoded.set(key, weights);
  if (decoded.size > DECODED_KEPT) decoded.delete(decoded.keys().next().value as string);
  return weights;
}

/**
 * Records a site's evaluation of a model. Its weight n in the federated mean is bounded by the
 * validation set the site declared when it joined (and the task's maxExamplesPerSite), so one site
 * cannot dictate the federated metrics by claiming a huge n.
 */
export async function recordEvaluation(
  ctx: HubContext,
  siteId: string,
  row: ModelRow,
  metrics: MetricsRequest,
): Promise<AggregatedMetrics> {
  const task = await ctx.store.tasks.task(row.task_id);
  const declared = (await ctx.store.sites.joined(row.task_id, siteId))?.validation_examples ?? null;
  const limit = task
    ? examplesBound(taskDefinitionSchema.parse(JSON.parse(task.definition)), declared)
    : declared;
  if (limit !== null && metrics.n > limit) {
    throw unprocessable(
      'metrics-refused',
      declared !== null && declared === limit
        ? `The report counts ${metrics.n} validation examples, but this site declared ${declared} when it joined the task; ` +
            'report the number of images it evaluated on, or join the task again with its current cohort.'
        : `The report counts ${metrics.n} validation examples, more than the task allows one site (${limit}).`,
    );
  }
  if (metrics.loss !== null && metrics.loss > MAX_REPORTED_LOSS) {
    throw unprocessable(
      'metrics-refused',
      `The reported loss is above ${MAX_REPORTED_LOSS}: the model diverged at this site; report the loss as null.`,
    );
  }
  await ctx.store.models.upsertEvaluation({
    task_id: row.task_id,
    version: row.version,
    site_id: siteId,
    loss: metrics.loss,
    accuracy: metrics.accuracy,
    auc: metrics.auc,
    n: metrics.n,
    created_at: isoAt(ctx),
  });
  ctx.events.publish(taskChannel(row.task_id));
  return aggregateEvaluations(await ctx.store.models.evaluations(row.task_id, row.version));
}

/**
 * Federated evaluation: each metric is the mean over the sites that reported it, weighted by their
 * validation examples n. (For AUC this is an approximation of the pooled AUC: the exact value needs
 * the scores themselves, which never leave the sites.)
 */
export function aggregateEvaluations(rows: readonly EvaluationRow[]): AggregatedMetrics {
  const weighted = (pick: (row: EvaluationRow) => number | null): number | null => {
    let sum = 0;
    let weight = 0;
    for (const row of rows) {
      const value = pick(row);
      if (value === null) continue;
      sum += value * row.n;
      weight += row.n;
    }
    return weight > 0 ? sum / weight : null;
  };
  return {
    loss: weighted((row) => row.loss),
    accuracy: weighted((row) => row.accuracy),
    auc: weighted((row) => row.auc),
    n: rows.reduce((total, row) => total + row.n, 0),
    sites: rows.length,
  };
}

/**
 * The best global model version by the sites' federated evaluation: the highest AUC where any version
 * has one, else the lowest loss; null while no version was evaluated. A tie goes to the later version.
 */
export function bestModelVersion(
  models: readonly { version: number; metrics: Pick<AggregatedMetrics, 'auc' | 'loss'> }[],
): { version: number; by: 'auc' | 'loss' } | null {
  const pick = (by: 'auc' | 'loss', better: (a: number, b: number) => boolean) => {
    let best: { version: number; value: number } | null = null;
    for (const model of models) {
      const value = model.metrics[by];
      if (value === null || !Number.isFinite(value)) continue;
      if (!best || better(value, best.value) || (value === best.value && model.version > best.version))
        best = { version: model.version, value };
    }
    return best ? { version: best.version, by } : null;
  };
  return pick('auc', (a, b) => a > b) ?? pick('loss', (a, b) => a < b);
}
