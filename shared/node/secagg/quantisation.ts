// From a float update to integers that can be summed mod 2³² without overflow, and back.
// Each value is clipped to ±c and mapped to one of Q = 2^bits levels by stochastic rounding (unbiased:
// E[q] = (x + c)/δ with δ = 2c/(Q − 1)). A site multiplies its levels by its weight w (its example
// count, capped at W) and appends w itself, so the hub's two sums are S = Σ w·q and Σ w, and
//   Σ w·x̂ = δ·S − c·Σ w     (x̂ = q·δ − c, the dequantised value).
// The plan picks W = ⌊(2³² − 1) / (n·(Q − 1))⌋ for n sites, so no sum can wrap.
// Batch norm's running statistics (isRunningStatistic) move by tens in a round where weights move by
// hundredths, so they are clipped to their own ±statisticsClipRange and quantised with their own step
// 2c_s/(Q − 1). Their levels are still in [0, Q − 1], so the weight cap and the 32-bit sum stay sound.
import { SecureAggregationError } from './secagg-error.ts';
import { randomWords } from './mask-prg.ts';
import {
  type NamedTensor,
  type TensorLayout,
  type WeightSet,
  elementCount,
  isRunningStatistic,
} from '../../federation/index.ts';

export const MODULUS_BITS = 32;

export interface QuantisationParameters {
  /** Values are clipped to ±clipRange. */
  readonly clipRange: number;
  /** Running statistics are clipped to ±statisticsClipRange instead (absent: clipRange, as plans before it). */
  readonly statisticsClipRange?: number | undefined;
  /** Q, the number of levels (2^bits). */
  readonly levels: number;
  /** W, the largest weight a site may give its update. */
  readonly weightCap: number;
}

/** The largest weight that keeps the sum of `sites` vectors below 2³². */
export function weightCapFor(sites: number, levels: number): number {
  const cap = Math.floor((2 ** MODULUS_BITS - 1) / (sites * (levels - 1)));
  if (cap < 1) {
    throw new SecureAggregationError(
      'bad-plan',
      `${sites} sites with ${levels} quantisation levels could overflow the 32-bit sum; lower privacy.secureAggregation.bits.`,
    );
  }
  return cap;
}

/** The clip range of one tensor: its own for running statistics, the common one for the rest. */
export function clipRangeOf(
  name: string,
  params: Pick<QuantisationParameters, 'clipRange' | 'statisticsClipRange'>,
): number {
  return isRunningStatistic(name) ? (params.statisticsClipRange ?? params.clipRange) : params.clipRange;
}

export function vectorLength(layout: readonly TensorLayout[]): number {
  return layout.reduce((sum, tensor) => sum + elementCount(tensor.shape), 0) + 1;
}

/** The site's integer vector: w·q for every value of every tensor, then w. */
export function quantiseUpdate(
  delta: WeightSet,
  examples: number,
  params: QuantisationParameters,
): { vector: Uint32Array; weight: number } {
  const weight = Math.max(1, Math.min(Math.floor(examples), params.weightCap));
  const vector = new Uint32Array(vectorLength(delta));
  const top = params.levels - 1;
  let offset = 0;
  for (const tensor of delta) {
    const c = clipRangeOf(tensor.name, params);
    const scale = top / (2 * c);
    const coins = randomWords(tensor.data.length);
    for (let i = 0; i < tensor.data.length; i += 1) {
      const x = tensor.data[i] as number;
      const clipped = x > c ? c : x < -c ? -c : Number.isNaN(x) ? 0 : x;
      const level = (clipped + c) * scale;
      const floor = Math.floor(level);
      const q = Math.min(top, floor + ((coins[i] as number) / 2 ** 32 < level - floor ? 1 : 0));
      vector[offset + i] = weight * q;
    }
    offset += tensor.data.length;
  }
  vector[offset] = weight;
  return { vector, weight };
}

/** From the unmasked sum to Σ w·x̂ per tensor (float64) and Σ w. */
export function dequantiseSum(
  sum: Uint32Array,
  layout: readonly TensorLayout[],
  params: Pick<QuantisationParameters, 'clipRange' | 'statisticsClipRange' | 'levels'>,
): { sums: Float64Array[]; totalWeight: number } {
  if (sum.length !== vectorLength(layout)) {
    throw new SecureAggregationError(
      'bad-masked-input',
      `The summed vector has ${sum.length} values but the model needs ${vectorLength(layout)}.`,
    );
  }
  const totalWeight = sum[sum.length - 1] as number;
  let offset = 0;
  const sums = layout.map((tensor) => {
    const c = clipRangeOf(tensor.name, params);
    const step = (2 * c) / (params.levels - 1);
    const shift = c * totalWeight;
    const out = new Float64Array(elementCount(tensor.shape));
    for (let i = 0; i < out.length; i += 1) out[i] = step * (sum[offset + i] as number) - shift;
    offset += out.length;
    return out;
  });
  return { sums, totalWeight };
}

/** What the site's update becomes after clipping and quantisation, without the coin flips' noise. */
export function clipValues(
  delta: WeightSet,
  params: Pick<QuantisationParameters, 'clipRange' | 'statisticsClipRange'>,
): NamedTensor[] {
  return delta.map((tensor) => {
    const c = clipRangeOf(tensor.name, params);
    return { ...tensor, data: tensor.data.map((x) => Math.max(-c, Math.min(c, x))) };
  });
}
