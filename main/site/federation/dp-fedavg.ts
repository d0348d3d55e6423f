// DP-FedAvg at the site (McMahan et al. 2018): clip the update to L2 norm C, then add Gaussian noise,
// so that what the hub can see carries N(0, (zC)²) per value for the task's noise multiplier z.
//
// Who adds how much: with secure aggregation the hub learns only the sum of at least `quorum`
// updates (a round with fewer is never aggregated). Independent Gaussians add their variances, so
// each site adds N(0, (zC)²/m) with m = the quorum, and the sum carries at least the full (zC)².
// Without secure aggregation the hub sees each update by itself, so each carries the full noise.
//
// With adaptive clipping (Andrew et al. 2021) C is the round's, as the hub states it, the update's
// noise multiplier is z_Δ (shared/federation/adaptive-clipping.ts), and the site also reports its
// centred bit (norm ≤ C) with its share of N(0, σ_b²), shared over the sites the same way.
import {
  adaptiveClippingOn,
  centredClipBit,
  noiseShares,
  siteLevelDp,
  updateNoiseMultiplier,
  type NamedTensor,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import { SyncError } from './sync-error.ts';
import { clipToNorm } from './dp-clip.ts';
import { cryptoGaussian, type GaussianSource } from '../../../shared/node/privacy/index.ts';

export interface DpFedAvgReport {
  readonly clipNorm: number;
  /** The update's L2 norm before clipping. */
  readonly norm: number;
  readonly clipped: boolean;
  /** Standard deviation of the noise this site added to each value. */
  readonly noiseStd: number;
  /** Sites whose noise adds up to the full amount (1 without secure aggregation). */
  readonly noiseShares: number;
  /** Adaptive clipping: the noised centred bit (b − ½ + noise) to send; null without it. */
  readonly clipBit: number | null;
}

/** The clip norm of this round: the hub's (adaptive clipping) or the task's. */
export function roundClipNorm(definition: TaskDefinition, stated: number | null | undefined): number {
  // Patient-level DP noises the gradients inside training (main/site/train): no update clipping here.
  const dp = siteLevelDp(definition.privacy.differentialPrivacy);
  if (!dp) return 0;
  if (!adaptiveClippingOn(dp)) return dp.clipNorm;
  if (stated === null || stated === undefined || !(stated > 0)) {
    throw new SyncError(
      'bad-state',
      'This task adapts its clip norm each round, but the hub did not state this round’s; update the hub.',
    );
  }
  return stated;
}

/** The per-value noise std this site adds, and over how many sites the full noise is shared. */
export function noiseShare(definition: TaskDefinition, clipNorm?: number): { std: number; shares: number } {
  // Patient-level DP noises the gradients inside training (main/site/train): no update clipping here.
  const dp = siteLevelDp(definition.privacy.differentialPrivacy);
  if (!dp) return { std: 0, shares: 1 };
  const full = updateNoiseMultiplier(dp) * (clipNorm ?? dp.clipNorm);
  const shares = noiseShares(definition);
  return { std: full / Math.sqrt(shares), shares };
}

/** Clips and noises an update for a task with DP-FedAvg; returns it unchanged when the task has none. */
export function applyDpFedAvg(
  delta: readonly NamedTensor[],
  definition: TaskDefinition,
  gaussian: GaussianSource = cryptoGaussian,
  /** The round's clip norm as the hub stated it (needed with adaptive clipping). */
  statedClipNorm?: number | null,
): { weights: NamedTensor[]; report: DpFedAvgReport | null } {
  // Patient-level DP noises the gradients inside training (main/site/train): no update clipping here.
  const dp = siteLevelDp(definition.privacy.differentialPrivacy);
  if (!dp) return { weights: [...delta], report: null };
  const clipNorm = roundClipNorm(definition, statedClipNorm);
  const clipped = clipToNorm(delta, clipNorm);
  const { std, shares } = noiseShare(definition, clipNorm);
  const adaptive = dp.adaptiveClipping;
  const clipBit = adaptive
    ? centredClipBit(clipped.norm, clipNorm) +
      (adaptive.bitNoiseMultiplier / Math.sqrt(shares)) * (gaussian(1)[0] as number)
    : null;
  const weights = clipped.weights.map((tensor) => {
    const noise = gaussian(tensor.data.length);
    const data = new Float32Array(tensor.data.length);
    for (let i = 0; i < data.length; i += 1)
      data[i] = (tensor.data[i] as number) + std * (noise[i] as number);
    return { name: tensor.name, shape: tensor.shape, data };
  });
  return {
    weights,
    report: {
      clipNorm,
      norm: clipped.norm,
      clipped: clipped.scale < 1,
      noiseStd: std,
      noiseShares: shares,
      clipBit,
    },
  };
}
