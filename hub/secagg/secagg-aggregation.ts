// Aggregating a secure round: add up the survivors' masked inputs (each decrypted from its sealed
// upload, nothing else about it ever known), rebuild the secrets from the revealed shares, strip the
// masks, dequantise, and hand Σ w·x̂ and Σ w to the task's strategy. Deterministic from what is
// stored, so after a crash it simply runs again.
import {
  FederationError,
  layoutOf,
  WeightedDeltaSum,
  type SecAggPlan,
  type NamedTensor,
} from '../../shared/federation/index.ts';
import { openSealed, uploadContext } from '../../shared/node/federation/index.ts';
import {
  decodeMaskedInput,
  dequantiseSum,
  MaskedSum,
  SecureAggregationError,
  takeClipBitSum,
  unmaskSum,
  vectorLength,
} from '../../shared/node/secagg/index.ts';
import type { HubContext } from '../hub-context.ts';
import type { RoundRow, TaskRow } from '../store/index.ts';
import { participantView, planOf, SecAggRows } from './secagg-rows.ts';
import { secureSumProblem } from './sum-bounds.ts';

export async function unmaskedRoundSum(
  ctx: HubContext,
  task: TaskRow,
  round: RoundRow,
  base: readonly NamedTensor[],
  /** Adaptive clipping: each masked vector ends with the site's noised bit (one more element). */
  withClipBit = false,
): Promise<{ sum: WeightedDeltaSum; updateBytes: number; clipBits: { sum: number; sites: number } | null }> {
  const rows = new SecAggRows(ctx.store.sql);
  const state = await rows.round(task.id, round.number);
  const plan = state ? planOf(state) : null;
  if (!state || !plan)
    throw new FederationError('bad-strategy', 'This secure round has no plan; it cannot be unmasked.');
  const participants = await rows.participants(task.id, round.number);
  const survivors = participants.filter((p) => p.survivor === 1);
  const dropped = participants.filter((p) => p.survivor === 0);
  const layout = layoutOf(base);
  const masked = new MaskedSum(vectorLength(layout) + (withClipBit ? 1 : 0));
  let updateBytes = 0;
  for (const survivor of survivors) {
    const submission = await ctx.store.uploads.acceptedUpdateOf(task.id, round.number, survivor.site_id);
    if (!submission)
      throw new FederationError('bad-strategy', 'A surviving site has no masked input on record.');
    const sealed = await ctx.store.blobs.read(submission.blob_sha256);
    updateBytes += sealed.byteLength;
    const context = uploadContext({
      taskId: task.id,
      round: round.number,
      siteId: survivor.site_id,
      kind: 'delta',
    });
    masked.add(decodeMaskedInput(openSealed(sealed, ctx.keys.exchangeKey, context)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const revealed = await rows.revealed(task.id, round.number);
  const sharesOf = (owner: string, kind: string) =>
    revealed
      .filter((r) => r.owner_site === owner && r.kind === kind)
      .map((r) => Buffer.from(r.share, 'base64url'));
  try {
    const unmasked = await unmaskSum({
      sum: masked,
      survivors: survivors.map((p) => ({
        ...participantView(p),
        selfMaskShares: sharesOf(p.site_id, 'self-mask'),
      })),
      dropped: dropped.map((p) => ({
        ...participantView(p),
        maskKeyShares: sharesOf(p.site_id, 'mask-key'),
      })),
      participants: plan.participants,
      neighbours: plan.neighbours,
      threshold: plan.threshold,
      context: { taskId: task.id, round: round.number },
    });
    // The hub learns the bits' sum only, never one site's bit.
    const split = withClipBit ? takeClipBitSum(unmasked) : { rest: unmasked, bitSum: 0 };
    const { sums, totalWeight } = dequantiseSum(split.rest, layout, plan satisfies SecAggPlan);
    if (totalWeight < survivors.length || totalWeight > survivors.length * plan.weightCap) {
      throw new SecureAggregationError(
        'reconstruction-failed',
        'The unmasked sum of weights is impossible for this round (a masked input was malformed); nothing was published.',
      );
    }
    const outOfBound = await secureSumProblem(
      ctx,
      task,
      round.number,
      { sums, totalWeight, clipBitSum: withClipBit ? split.bitSum : null },
      survivors.map((p) => p.site_id),
      plan,
      layout,
    );
    if (outOfBound) throw new FederationError('bad-strategy', outOfBound);
    return {
      sum: WeightedDeltaSum.fromTotals(layout, sums, totalWeight, survivors.length),
      updateBytes,
      clipBits: withClipBit ? { sum: split.bitSum, sites: survivors.length } : null,
    };
  } catch (error) {
    if (error instanceof SecureAggregationError)
      throw new FederationError('bad-strategy', error.message, { cause: error });
    throw error;
  }
}
