// From a float update to integers that can be summed mod 2³² without overflow, and back.
// Each value is clipped to ±c and mapped to one of Q = 2^bits levels by stochastic rounding (unbiased:
// E[q] = (x + c)/δ with δ = 2c/(Q − 1)). A site multiplies its levels by its weight w (its example
// count, capped at W) and appends w itself, so the hub's two sums are S = Σ w·q and Σ w, and
//   Σ w·x̂ = δ·S − c·Σ w     (x̂ = q·δ − c, the dequantised value).
// The plan picks W = ⌊(2³² − 1) / (n·(Q − 1))⌋ for n sites, so no sum can wrap.
import { SecureAggregationError } from './secagg-error.ts';
import { randomWords } from './mask-prg.ts';
import { type NamedTensor, type TensorLayout, type WeightSet, elementCount } from '../../federation/index.ts';

export const MODULUS_BITS = 32;

export interface QuantisationParameters {
  /** Values are clipped to ±clipRange. */
  readonly clipRange: number;
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
  const c = params.clipRange;
  const scale = (params.levels - 1) / (2 * c);
  const top = params.levels - 1;
  let offset = 0;
  for (const tensor of delta) {
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
  params: Pick<QuantisationParameters, 'clipRange' | 'levels'>,
): { sums: Float64Array[]; totalWeight: number } {
  if (sum.length !== vectorLength(layout)) {
    throw new SecureAggregationError(
      'bad-masked-input',
      `The summed vector has ${sum.length} values but the model needs ${vectorLength(layout)}.`,
    );
  }
  const totalWeight = sum[sum.length - 1] as number;
  const step = (2 * params.clipRange) / (params.levels - 1);
  const shift = params.clipRange * totalWeight;
  let offset = 0;
  const sums = layout.map((tensor) => {
    const out = new Float64Array(elementCount(tensor.shape));
    for (let i = 0; i < out.length; i += 1) out[i] = step * (sum[offset + i] as number) - shift;
    offset += out.length;
    return out;
  });
  return { sums, totalWeight };
}

/** What the site's update becomes after clipping and quantisation, without the coin flips' noise. */
export function clipValues(delta: WeightSet, clipRange: number): NamedTensor[] {
  return delta.map((tensor) => ({
    ...tensor,
    data: tensor.data.map((x) => Math.max(-clipRange, Math.min(clipRange, x))),
  }));
}
