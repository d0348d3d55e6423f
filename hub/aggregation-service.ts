// Aggregates a round: decrypts each accepted update from the blob store (they are kept sealed at
// rest), adds it into a running weighted sum (or, for a method that needs each update, gathers them),
// and runs the method's combine step. Yields to the event loop between updates so the hub keeps
// answering sites while it works.
import {
  adaptiveClippingOn,
  combineSum,
  combineUpdates,
  decodeWeights,
  encodeWeights,
  FederationError,
  federationMethod,
  layoutOf,
  roundTensors,
  scaleTrainedValues,
  splitClipBit,
  unpublishableReason,
  WeightedDeltaSum,
  type AggregationResult,
  type FederationMethod,
  type ServerOptimizerState,
  type SiteUpdate,
  type TaskDefinition,
} from '../shared/federation/index.ts';
import { openSealed, uploadContext } from '../shared/node/federation/index.ts';
import type { ClipBitSum } from './adaptive-clipping.ts';
import type { HubContext } from './hub-context.ts';
import { findModel, loadModelWeights } from './model-registry.ts';
import { unmaskedRoundSum } from './secagg/index.ts';
import { clipScale } from './update-bounds-check.ts';
import type { RoundRow, SubmissionRow, TaskRow } from './store/index.ts';
import { definitionOf } from './tasks.ts';

export interface RoundAggregate extends AggregationResult {
  /** Bytes of sealed updates read, for throughput figures. */
  readonly updateBytes: number;
  /** Adaptive clipping: the sum of the sites' noised bits (null when the task does not adapt C). */
  readonly clipBits: ClipBitSum | null;
}

export async function aggregateRoundUpdates(
  ctx: HubContext,
  task: TaskRow,
  definition: TaskDefinition,
  method: FederationMethod,
  round: RoundRow,
  submissions: readonly SubmissionRow[],
): Promise<RoundAggregate> {
  const base = await loadModelWeights(ctx, await findModel(ctx, task.id, round.base_version ?? 0));
  // What the updates hold: the whole model, or a split site's segments (the trunk is trained at the hub).
  const updated = roundTensors(definition, base);
  const adaptive = adaptiveClippingOn(definition.privacy.differentialPrivacy);
  if (definition.privacy.secureAggregation.enabled) {
    // The hub never opens one site's update: it unmasks only the sum of the survivors' masked inputs.
    const { sum, updateBytes, clipBits } = await unmaskedRoundSum(ctx, task, round, updated, adaptive);
    return publishable(method, {
      ...combineSum(method, base, sum, await loadServerState(ctx, task)),
      updateBytes,
      clipBits,
    });
  }
  // Adaptive clipping without secure aggregation: each sealed update carries its noised bit.
  const bits = { sum: 0, sites: 0 };
  // Each sealed update is read whole: it is decrypted and decoded as one message.
  const open = async (submission: SubmissionRow) => {
    const context = uploadContext({
      taskId: task.id,
      round: submission.round,
      siteId: submission.site_id,
      kind: 'delta',
    });
    const sealed = await ctx.store.blobs.read(submission.blob_sha256);
    const { delta, bit } = splitClipBit(decodeWeights(openSealed(sealed, ctx.keys.exchangeKey, context)));
    if (bit !== null) {
      bits.sum += bit;
      bits.sites += 1;
    }
    // An update above the task's norm bound was accepted clipped: it counts scaled down to the bound.
    const scale = clipScale(submission);
    // The bound counts the trained values only, so clipping scales them only (update-bounds.ts).
    return { delta: scale < 1 ? scaleTrainedValues(delta, scale) : delta, bytes: sealed.byteLength };
  };
  const clipBits = () => (adaptive ? { ...bits } : null);
  if (method.combine.input === 'each-update') {
    // Median, trimmed mean and Krum need every update at once (secure aggregation is off for them).
    const updates: SiteUpdate[] = [];
    let updateBytes = 0;
    for (const submission of submissions) {
      const { delta, bytes } = await open(submission);
      updateBytes += bytes;
      updates.push({ siteId: submission.site_id, examples: submission.examples, delta });
    }
    // Combined over the tensors the updates hold (a DP fine-tuning task's head), the rest kept as they were.
    const combined = combineUpdates(method, updated, updates);
    const moved = new Map(combined.weights.map((tensor) => [tensor.name, tensor]));
    return publishable(method, {
      ...combined,
      weights: base.map((tensor) => moved.get(tensor.name) ?? tensor),
      updateBytes,
      clipBits: clipBits(),
    });
  }
  const sum = new WeightedDeltaSum(layoutOf(updated));
  let updateBytes = 0;
  for (const submission of submissions) {
    const { delta, bytes } = await open(submission);
    updateBytes += bytes;
    sum.add({ siteId: submission.site_id, examples: submission.examples, delta });
    await new Promise((resolve) => setImmediate(resolve));
  }
  const result = combineSum(method, base, sum, await loadServerState(ctx, task));
  return publishable(method, { ...result, updateBytes, clipBits: clipBits() });
}

/**
 * The last check before a model is signed: every weight, and every tensor of the server optimiser's
 * state carried to the next round (FedAvgM's velocity, FedAdam's moments), is finite in float32.
 * Otherwise the round fails with the reason and the previous global model stays current.
 */
function publishable(method: FederationMethod, aggregate: RoundAggregate): RoundAggregate {
  const state = aggregate.serverState;
  const stateTensors = state === null ? [] : (method.serverState?.toTensors(state) ?? []);
  const problem =
    unpublishableReason(aggregate.weights) ??
    unpublishableReason(stateTensors, "The server optimiser's state for the next round");
  if (problem) throw new FederationError('not-finite', problem);
  return aggregate;
}

/**
 * The server optimiser's state is kept as one RFW1 blob named in the task row; the method's codec
 * names its tensors by what they are (FedAdam's moments m/…, v/…; FedAvgM's velocity u/…).
 */
export async function loadServerState(ctx: HubContext, task: TaskRow): Promise<ServerOptimizerState> {
  if (!task.server_state_sha256 || task.server_state_step === null) return null;
  const codec = federationMethod(definitionOf(task).strategy).serverState;
  if (!codec) return null;
  return codec.fromTensors(
    decodeWeights(await ctx.store.blobs.read(task.server_state_sha256)),
    task.server_state_step,
  );
}

export async function storeServerState(
  ctx: HubContext,
  method: FederationMethod,
  state: ServerOptimizerState,
): Promise<{ sha256: string | null; step: number | null }> {
  if (!state || !method.serverState) return { sha256: null, step: null };
  const tensors = method.serverState.toTensors(state);
  return { sha256: await ctx.store.blobs.put(encodeWeights(tensors, 'none')), step: state.step };
}
