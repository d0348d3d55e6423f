// The hub's side of adaptive clipping (Andrew et al. 2021; the math is in
// shared/federation/adaptive-clipping.ts). Each round's clip norm C is fixed when the round opens,
// from the previous round's C and the sites' noised mean bit, and kept in the clip_norms table: the
// sites use the C the round view states, and a restarted hub goes on with the same C.
import {
  adaptiveClippingOn,
  meanClipBit,
  nextClipNorm,
  type TaskDefinition,
} from '../shared/federation/index.ts';
import type { HubContext } from './hub-context.ts';

/** The sum of the sites' noised centred bits in a round, and how many sites it holds. */
export interface ClipBitSum {
  readonly sum: number;
  readonly sites: number;
}

/** Sets the clip norm of a round that is opening (once; idempotent). */
export function fixRoundClipNorm(
  ctx: HubContext,
  taskId: string,
  definition: TaskDefinition,
  round: number,
): void {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp || !adaptiveClippingOn(dp)) return;
  if (ctx.store.privacy.clipNorm(taskId, round)) return;
  const previous = ctx.store.privacy
    .clipNorms(taskId)
    .filter((row) => row.round < round)
    .at(-1);
  // A round that failed has no bits: its C carries over unchanged.
  const clipNorm = !previous
    ? dp.clipNorm
    : previous.bit_mean === null
      ? previous.clip_norm
      : nextClipNorm(previous.clip_norm, previous.bit_mean, dp);
  ctx.store.privacy.setClipNorm(taskId, round, clipNorm);
}

/** The round's clip norm for the round view; null when the task does not adapt it. */
export function roundClipNorm(ctx: HubContext, taskId: string, round: number | null): number | null {
  if (round === null) return null;
  return ctx.store.privacy.clipNorm(taskId, round)?.clip_norm ?? null;
}

/** Records b̄ of a published round (inside the publishing transaction). */
export function recordClipBits(ctx: HubContext, taskId: string, round: number, bits: ClipBitSum): void {
  if (bits.sites < 1) return;
  ctx.store.privacy.recordClipBits(taskId, round, meanClipBit(bits.sum, bits.sites), bits.sites);
}
