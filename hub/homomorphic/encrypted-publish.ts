// Closing a homomorphic round: add the accepted encrypted updates and publish the encrypted sum as the
// round's model version, with the receipt of which sites' updates it holds (published-sum.ts), signed
// like any model, in the one transaction that marks the round published.
// Re-run from the stored uploads after a crash (the sum of the same frames is the same ciphertext up
// to nothing the sites care about: they decrypt the same values).
import { FederationError } from '../../shared/federation/index.ts';
import { encodePublishedSum, HomomorphicError } from '../../shared/node/homomorphic/index.ts';
import { isoAt, type HubContext } from '../hub-context.ts';
import { HubError } from '../hub-errors.ts';
import { insertModelRow } from '../model-registry.ts';
import type { RoundEvent } from '../rounds.ts';
import { lockKeys, type RoundRow, type TaskRow } from '../store/index.ts';
import { encryptedRoundSum } from './encrypted-round.ts';

export async function publishEncryptedRound(
  ctx: HubContext,
  task: TaskRow,
  round: RoundRow,
  onEvent?: (event: RoundEvent) => void,
): Promise<boolean> {
  const { store } = ctx;
  const started = performance.now();
  let published: { sha256: string; bytes: number; updateBytes: number };
  try {
    const accepted = await store.uploads.acceptedUpdates(task.id, round.number);
    const { sum, updateBytes } = await encryptedRoundSum(ctx, task, accepted);
    // The receipt of what went into the sum travels in the blob the hub signs: the sites check it.
    const blob = encodePublishedSum(
      { taskId: task.id, round: round.number, sites: accepted.map((row) => row.site_id) },
      sum,
    );
    published = { sha256: await store.blobs.put(blob), bytes: blob.byteLength, updateBytes };
  } catch (error) {
    // Any failure fails the round with a sentence, as a plain round's does: rethrown, it left the
    // round 'aggregating' for good, re-run on every tick (a damaged stored update, a summation
    // worker that died). A hub killed here never reaches this: it re-runs the sum when it restarts.
    // A database that cannot be reached (PostgreSQL restarting) is not the round's fault: it stays
    // 'aggregating' and the next tick adds it again.
    if (error instanceof HubError && error.statusCode === 503) throw error;
    const reason = `Aggregation failed: ${sumFailure(error)}`;
    const moved = await store.transaction(async (tx) => {
      await tx.lock(lockKeys.round(task.id, round.number));
      return tx.tasks.updateRound(task.id, round.number, 'aggregating', {
        state: 'failed',
        closed_at: isoAt(ctx),
        failure_reason: reason,
      });
    });
    if (moved) onEvent?.({ taskId: task.id, round: round.number, state: 'failed' });
    return moved;
  }
  // Published once, under the round's lock, only from 'aggregating' (as rounds.ts publishes).
  const committed = await store.transaction(async (tx) => {
    await tx.lock(lockKeys.round(task.id, round.number));
    if ((await tx.tasks.task(task.id))?.state !== 'active') return false;
    const moved = await tx.tasks.updateRound(task.id, round.number, 'aggregating', {
      state: 'published',
      closed_at: isoAt(ctx),
    });
    if (!moved) return false;
    const version = ((await tx.models.latestModel(task.id))?.version ?? -1) + 1;
    // The method's server state (FedAvgM's velocity) lives at the sites, beside the model they decrypt.
    await insertModelRow(ctx, tx, {
      taskId: task.id,
      version,
      round: round.number,
      sha256: published.sha256,
      bytes: published.bytes,
    });
    return true;
  });
  if (committed) {
    onEvent?.({
      taskId: task.id,
      round: round.number,
      state: 'published',
      updateBytes: published.updateBytes,
      aggregationMs: performance.now() - started,
    });
  }
  return committed;
}

/** Why the sum could not be made, in words for the coordinator and the sites (never a value or path). */
function sumFailure(error: unknown): string {
  if (error instanceof HomomorphicError || error instanceof FederationError) return error.message;
  return "the hub could not add the encrypted updates (a stored update could not be read, or the hub's summation worker stopped); the next round starts from the same model.";
}
