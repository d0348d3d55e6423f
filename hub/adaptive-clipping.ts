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
import type { HubRows } from './store/index.ts';

/** The sum of the sites' noised centred bits in a round, and how many sites it holds. */
export interface ClipBitSum {
  readonly sum: number;
  readonly sites: number;
}

/** Sets the clip norm of a round that is opening (once; idempotent). */
export async function fixRoundClipNorm(
  rows: HubRows,
  taskId: string,
  definition: TaskDefinition,
  round: number,
): Promise<void> {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp || !adaptiveClippingOn(dp)) return;
  if (await rows.privacy.clipNorm(taskId, round)) return;
  const previous = (await rows.privacy.clipNorms(taskId)).filter((row) => row.round < round).at(-1);
  // A round that failed has no bits: its C carries over unchanged.
  const clipNorm = !previous
    ? dp.clipNorm
    : previous.bit_mean === null
      ? previous.clip_norm
      : nextClipNorm(previous.clip_norm, previous.bit_mean, dp);
  await rows.privacy.setClipNorm(taskId, round, clipNorm);
}

/** The round's clip norm for the round view; null when the task does not adapt it. */
export async function roundClipNorm(
  rows: HubRows,
  taskId: string,
  round: number | null,
): Promise<number | null> {
  if (round === null) return null;
  return (await rows.privacy.clipNorm(taskId, round))?.clip_norm ?? null;
}

/** Records b̄ of a published round (inside the publishing transaction). */
export async function recordClipBits(
  rows: HubRows,
  taskId: string,
  round: number,
  bits: ClipBitSum,
): Promise<void> {
  if (bits.sites < 1) return;
  await rows.privacy.recordClipBits(taskId, round, meanClipBit(bits.sum, bits.sites), bits.sites);
}
