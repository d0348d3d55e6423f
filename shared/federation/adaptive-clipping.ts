// Adaptive clipping for DP-FedAvg (Andrew et al. 2021, "Differentially Private Learning with Adaptive
// Clipping"). Each round every site sends one noised bit beside its update: was its update's norm
// within the round's clip norm C? The hub averages the bits (b̄) and sets the next round's
//   C ← C · exp(−η (b̄ − γ)),
// so C follows the γ-quantile of the sites' update norms. The bit is centred (b − ½, sensitivity ½),
// and its noise spends privacy too. For the whole round to be the Gaussian mechanism with the task's
// noise multiplier z (what the accountant counts), the update itself carries the larger
//   z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2)        (Andrew et al., Theorem 1).
import type {
  AdaptiveClippingSettings,
  DpFedAvgSettings,
  DpSettings,
} from './differential-privacy-settings.ts';
import type { NamedTensor } from './tensors.ts';

/** The extra tensor that carries the noised bit inside a sealed update (without secure aggregation). */
export const CLIP_BIT_TENSOR = 'radfed/clip-bit';

/** Whether the task adapts its clip norm (DP-FedAvg only: patient-level DP clips no update). */
export function adaptiveClippingOn(
  dp: DpSettings | null | undefined,
): dp is DpFedAvgSettings & { adaptiveClipping: AdaptiveClippingSettings } {
  return dp !== null && dp !== undefined && dp.unit !== 'patient' && Boolean(dp.adaptiveClipping);
}

/** The update's noise multiplier: z without adaptive clipping, z_Δ with it. */
export function updateNoiseMultiplier(dp: DpFedAvgSettings): number {
  const adaptive = dp.adaptiveClipping;
  if (!adaptive) return dp.noiseMultiplier;
  const rest = dp.noiseMultiplier ** -2 - (2 * adaptive.bitNoiseMultiplier) ** -2;
  return rest > 0 ? rest ** -0.5 : Infinity; // the schema refuses 2σ_b ≤ z
}

/** The value a site sends for its bit, before its noise: b − ½ (1 when its norm was within C). */
export function centredClipBit(norm: number, clipNorm: number): number {
  return (norm <= clipNorm ? 1 : 0) - 0.5;
}

/** b̄ from the sum of the sites' noised centred bits and the number of sites in the sum. */
export function meanClipBit(noisedSum: number, sites: number): number {
  return 0.5 + noisedSum / sites;
}

/** The next round's clip norm, from this round's and the sites' noised mean bit. */
export function nextClipNorm(clipNorm: number, bitMean: number, dp: DpFedAvgSettings): number {
  const adaptive = dp.adaptiveClipping;
  if (!adaptive) return clipNorm;
  return clipNorm * Math.exp(-adaptive.learningRate * (bitMean - adaptive.targetQuantile));
}

/** Splits the bit tensor off a plain (unmasked) update: the model tensors, and the bit if present. */
export function splitClipBit(weights: readonly NamedTensor[]): { delta: NamedTensor[]; bit: number | null } {
  const found = weights.find((tensor) => tensor.name === CLIP_BIT_TENSOR);
  return {
    delta: weights.filter((tensor) => tensor.name !== CLIP_BIT_TENSOR),
    bit: found && found.data.length === 1 ? (found.data[0] as number) : null,
  };
}

/** The bit as the one-value tensor appended to a plain update. */
export function clipBitTensor(noisedBit: number): NamedTensor {
  return { name: CLIP_BIT_TENSOR, shape: [1], data: Float32Array.of(noisedBit) };
}
