// Adaptive clipping with secure aggregation: the site's noised clipping bit travels as one more
// element of the masked vector, after the weight, so the hub learns only the sum of the bits. It is
// a signed fixed-point number (two's complement mod 2³²): the sum of n values, each held within
// ±(2³¹ − 1)/(n·scale), cannot wrap. The bound is hundreds of standard deviations of any sensible bit
// noise; a site's value beyond it is clamped (a function of that site's own noised value).
import { SecureAggregationError } from './secagg-error.ts';

export const CLIP_BIT_SCALE = 2 ** 16;

/** The largest |noised bit| one of `sites` sites may send. */
export function clipBitBound(sites: number): number {
  const bound = (2 ** 31 - 1) / (sites * CLIP_BIT_SCALE);
  if (bound < 4) {
    throw new SecureAggregationError(
      'bad-plan',
      `${sites} sites are too many for the clipping bit's fixed-point sum; turn adaptive clipping off.`,
    );
  }
  return bound;
}

/** The vector with the noised bit appended (a new array; the original is left as it was). */
export function appendClipBit(vector: Uint32Array, noisedBit: number, sites: number): Uint32Array {
  const bound = clipBitBound(sites);
  const clamped = Math.max(-bound, Math.min(bound, Number.isFinite(noisedBit) ? noisedBit : 0));
  const out = new Uint32Array(vector.length + 1);
  out.set(vector);
  out[vector.length] = Math.round(clamped * CLIP_BIT_SCALE) >>> 0;
  return out;
}

/** Splits the unmasked sum into the update's part and the sum of the noised bits. */
export function takeClipBitSum(sum: Uint32Array): { rest: Uint32Array; bitSum: number } {
  const last = sum[sum.length - 1] as number;
  return { rest: sum.subarray(0, sum.length - 1), bitSum: (last | 0) / CLIP_BIT_SCALE };
}
