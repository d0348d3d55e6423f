// What makes an update acceptable, and the one transaction that records the verdict. A rejected
// update is recorded too, with its reason, so the site (and the coordinator) can see why.
import {
  adaptiveClippingOn,
  assertFinite,
  assertRoundLayout,
  decodeWeightsWithInfo,
  FederationError,
  federationMethod,
  homomorphicOn,
  layoutOf,
  roundTensors,
  splitClipBit,
  type NamedTensor,
  type UpdateEnvelope,
} from '../shared/federation/index.ts';
import { openSealed, uploadContext } from '../shared/node/federation/index.ts';
import { isoAt, newId, type HubContext } from './hub-context.ts';
import { conflict, forbidden } from './hub-errors.ts';
import { findModel, insertModelRow, loadModelWeights, storeModelBlob } from './model-registry.ts';
import {
  lockKeys,
  type HubRows,
  type RoundRow,
  type SiteRow,
  type SubmissionRow,
  type UploadRow,
} from './store/index.ts';
import { checkMaskedUploadAllowed, maskedInputProblem } from './secagg/index.ts';
import { encryptedSumCapacity, encryptedSumFull, encryptedUpdateProblem } from './homomorphic/index.ts';
import { definitionOf } from './tasks.ts';
import { boundPlainUpdate, type UpdateBoundsVerdict } from './update-bounds-check.ts';

export interface CompleteRequest {
  readonly envelope: UpdateEnvelope;
  readonly envelopeSignature: string;
}

/** Throws unless `round` is the task's collecting round. */
export async function checkRoundCollecting(
  ctx: HubContext,
  taskId: string,
  round: number,
  rows: HubRows = ctx.store,
): Promise<RoundRow> {
  const current = await rows.tasks.latestRound(taskId);
  if (!current || current.number !== round || current.state !== 'collecting') {
    const now = current ? `round ${current.number} is ${current.state}` : 'no round has started';
    throw conflict(
      'round-not-collecting',
      `Round ${round} of task ${taskId} does not take updates (${now}); fetch the current round and train on its global model.`,
    );
  }
  return current;
}

/** Throws unless `round` is the task's collecting round and this site may still send to it. */
export async function checkRoundOpenFor(
  ctx: HubContext,
  taskId: string,
  round: number,
  site: SiteRow,
  rows: HubRows = ctx.store,
): Promise<void> {
  const current = await checkRoundCollecting(ctx, taskId, round, rows);
  const task = await rows.tasks.task(taskId);
  const definition = task ? definitionOf(task) : null;
  if (current.turn_site_id !== null && current.turn_site_id !== site.id) {
    // A round with a turn belongs to one site (the method chose it as the round opened).
    const refusal = definition
      ? federationMethod(definition.strategy).participation.notYourTurn(round)
      : `It is another site's turn in round ${round}; wait for yours.`;
    throw forbidden('not-your-turn', refusal);
  }
  if (await rows.uploads.acceptedUpdateOf(taskId, round, site.id)) {
    throw conflict(
      'already-submitted',
      `This site's update for round ${round} was already accepted; one update per round.`,
    );
  }
  if (definition?.privacy.secureAggregation.enabled)
    await checkMaskedUploadAllowed(rows, taskId, round, site);
}

/** Decrypts and checks a complete upload whose bytes are in the blob store, and records the verdict. */
export async function acceptOrReject(
  ctx: HubContext,
  site: SiteRow,
  upload: UploadRow,
  envelope: UpdateEnvelope,
  envelopeSignature: string,
): Promise<SubmissionRow> {
  const task = await ctx.store.tasks.task(upload.task_id);
  if (!task || task.state !== 'active')
    throw conflict('task-not-active', `Task ${upload.task_id} no longer takes uploads.`);
  if (upload.kind === 'delta') await checkRoundOpenFor(ctx, task.id, upload.round, site);
  let reason: string | null = null;
  let initialWeights: NamedTensor[] | null = null;
  let bounds: UpdateBoundsVerdict | null = null;
  // Homomorphic: how many updates the round's sum takes, counted again under the round's lock below.
  let encryptedCapacity: number | null = null;
  try {
    // Whole bytes: a sealed update is decrypted and checked as one message (its size was bounded
    // when the upload was created).
    const plaintext = openSealed(
      await ctx.store.blobs.read(upload.sha256),
      ctx.keys.exchangeKey,
      uploadContext({ taskId: task.id, round: upload.round, siteId: site.id, kind: upload.kind }),
    );
    const secure = upload.kind === 'delta' && definitionOf(task).privacy.secureAggregation.enabled;
    // Homomorphic: the upload is a CKKS frame the hub checks but cannot read (hub/homomorphic).
    const encrypted = upload.kind === 'delta' && homomorphicOn(definitionOf(task));
    const { weights, compression } =
      secure || encrypted ? { weights: [], compression: 'none' } : decodeWeightsWithInfo(plaintext);
    assertFinite(weights);
    if (encrypted) {
      const round = await ctx.store.tasks.latestRound(task.id);
      reason =
        envelope.baseVersion !== round?.base_version
          ? `The update was trained from global model version ${envelope.baseVersion}, but round ${upload.round} uses version ${round?.base_version}; download the current model and train again.`
          : await encryptedUpdateProblem(ctx, task, upload.round, plaintext);
      encryptedCapacity = await encryptedSumCapacity(ctx, task.id);
    } else if (secure) {
      const round = await ctx.store.tasks.latestRound(task.id);
      reason =
        envelope.baseVersion !== round?.base_version
          ? `The update was trained from global model version ${envelope.baseVersion}, but round ${upload.round} uses version ${round?.base_version}; download the current model and train again.`
          : maskedInputProblem(
              plaintext,
              // The values the round's update holds (a split site's segments, not the hub's trunk).
              roundTensors(
                definitionOf(task),
                await loadModelWeights(ctx, await findModel(ctx, task.id, round.base_version ?? 0)),
              ),
              adaptiveClippingOn(definitionOf(task).privacy.differentialPrivacy),
            );
    } else if (upload.kind === 'initial') {
      initialWeights = weights;
    } else {
      const round = await ctx.store.tasks.latestRound(task.id);
      const wanted = definitionOf(task).compression;
      if (envelope.baseVersion !== round?.base_version) {
        reason = `The update was trained from global model version ${envelope.baseVersion}, but round ${upload.round} uses version ${round?.base_version}; download the current model and train again.`;
      } else if (compression !== wanted || envelope.compression !== wanted) {
        reason = `The task asks for ${wanted} updates, but this one is ${compression}.`;
      } else {
        // Adaptive clipping: the update carries its noised clipping bit as one extra tensor.
        const adaptive = adaptiveClippingOn(definitionOf(task).privacy.differentialPrivacy);
        const { delta, bit } = splitClipBit(weights);
        if (adaptive && bit === null)
          reason =
            'This task adapts its clip norm, but the update carries no clipping bit; update RadFed at the site.';
        assertRoundLayout(
          definitionOf(task),
          layoutOf(adaptive ? delta : weights),
          layoutOf(await loadModelWeights(ctx, await findModel(ctx, task.id, round.base_version ?? 0))),
        );
        bounds = await boundPlainUpdate(
          ctx,
          task,
          site,
          upload.round,
          envelope.examples,
          adaptive ? delta : weights,
          bit,
        );
        reason ??= bounds.reason;
      }
    }
  } catch (error) {
    if (!(error instanceof FederationError)) throw error;
    reason = error.message;
  }
  const modelBlob = initialWeights ? await storeModelBlob(ctx, initialWeights) : null;
  const id = newId('sub');
  return ctx.store.transaction(async (tx) => {
    const at = isoAt(ctx);
    // A second completion of this upload (a retry, or another replica) that finished first decided it.
    const fresh = await tx.uploads.upload(upload.id);
    if (fresh?.state === 'complete' && fresh.submission_id !== null) {
      const decided = await tx.uploads.submission(fresh.submission_id);
      if (decided) return decided;
    }
    if (upload.kind === 'delta') {
      // The checks above ran while other requests went on: the verdict is recorded only if the round
      // still takes this site's update, decided under the round's lock (on every replica).
      await tx.lock(lockKeys.round(task.id, upload.round));
      await checkRoundOpenFor(ctx, task.id, upload.round, site, tx);
      if (reason === null && encryptedCapacity !== null)
        reason = await encryptedSumFull(tx, task.id, upload.round, encryptedCapacity);
    } else {
      await tx.lock(lockKeys.task(task.id));
    }
    if (modelBlob && (await tx.models.latestModel(task.id))) {
      reason = 'Another site provided the initial model first; download it instead.';
    }
    const row: SubmissionRow = {
      id,
      upload_id: upload.id,
      task_id: task.id,
      round: upload.round,
      site_id: site.id,
      kind: upload.kind,
      examples: envelope.examples,
      base_version: envelope.baseVersion,
      compression: envelope.compression,
      blob_sha256: upload.sha256,
      envelope: JSON.stringify(envelope),
      envelope_signature: envelopeSignature,
      state: reason === null ? 'accepted' : 'rejected',
      reason,
      created_at: at,
      update_norm: bounds?.norm ?? null,
      norm_bound: bounds?.bound ?? null,
      norm_action: bounds?.action ?? null,
    };
    await tx.uploads.insertSubmission(row);
    await tx.uploads.completeUpload(upload.id, id, at);
    if (modelBlob && reason === null)
      await insertModelRow(ctx, tx, { taskId: task.id, version: 0, round: 0, ...modelBlob });
    return row;
  });
}
