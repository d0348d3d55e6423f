// Clipping a site's update to L2 norm C, over all its tensors together: this bounds how much any one
// site can move the sum, the sensitivity that the Gaussian noise is scaled to.
import type { NamedTensor } from '../../../shared/federation/index.ts';

export interface ClippedUpdate {
  readonly weights: NamedTensor[];
  /** The L2 norm before clipping (stays at the site; shown to the operator only). */
  readonly norm: number;
  /** The factor applied: 1 when the update was already within the norm. */
  readonly scale: number;
}

export function l2Norm(weights: readonly NamedTensor[]): number {
  let sum = 0;
  for (const tensor of weights) for (const value of tensor.data) sum += value * value;
  return Math.sqrt(sum);
}

/** Scales the update down to norm ≤ clipNorm (never up), tensor layout unchanged. */
export function clipToNorm(weights: readonly NamedTensor[], clipNorm: number): ClippedUpdate {
  const norm = l2Norm(weights);
  // Float32 rounding can leave the result a hair above C; the factor is nudged down to keep the bound.
  const scale = norm > clipNorm ? (clipNorm / norm) * (1 - 1e-6) : 1;
  return {
    norm,
    scale,
    weights: weights.map((tensor) => ({
      name: tensor.name,
      shape: [...tensor.shape],
      data: scale === 1 ? Float32Array.from(tensor.data) : tensor.data.map((value) => value * scale),
    })),
  };
}
