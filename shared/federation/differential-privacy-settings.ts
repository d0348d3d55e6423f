// Differential privacy settings of a task: DP-FedAvg (McMahan et al. 2018) with a budget. null is off.
// Each site clips its update (the change to the global model) to L2 norm clipNorm and adds Gaussian
// noise so that the sum over sites carries N(0, (noiseMultiplier·clipNorm)²). The guarantee is at the
// site level: the released models hardly depend on whether any one site (all its patients) took part.
import { z } from 'zod';
import { epsilonSpent } from '../privacy/index.ts';

export const privacyBudgetSchema = z.object({
  /** The most ε the task may spend; medical FL papers report 1 to 10 for useful models. */
  epsilon: z.number().positive().max(100),
  /** Probability that the guarantee fails outright; well below 1 / (number of sites). */
  delta: z.number().positive().max(0.1),
});

export const dpSgdSchema = z.object({
  /** Each microbatch's gradient is scaled down to at most this L2 norm. */
  l2NormClip: z.number().positive().max(1e6),
  /** Noise std of the summed gradient, in units of l2NormClip. */
  noiseMultiplier: z.number().positive().max(1000),
  /** Microbatches per batch (1 per example is the strongest, and slowest). */
  microbatches: z.number().int().min(1).max(4096),
});

/**
 * Adaptive clipping (Andrew et al. 2021): each round every site reports, noised, whether its update
 * was within the round's C, and the hub moves C toward the target quantile of the sites' norms.
 */
export const adaptiveClippingSchema = z.object({
  /** γ: the share of sites whose update should fit within C (0.5: the median norm). */
  targetQuantile: z.number().min(0).max(1).default(0.5),
  /** η: how fast C moves; C ← C · exp(−η (b̄ − γ)) each round. */
  learningRate: z.number().positive().max(10).default(0.2),
  /** σ_b: noise std of the sum of the sites' bits (Andrew et al. suggest sites per round / 20). */
  bitNoiseMultiplier: z.number().positive().max(1e6),
});

export const dpFedAvgSchema = z
  .object({
    /** C: each site's update is scaled down to at most this L2 norm (the first round's, with adaptive clipping). */
    clipNorm: z.number().positive().max(1e6),
    /** z: the noise standard deviation of the sum is z·C. More noise, less ε spent per round. */
    noiseMultiplier: z.number().positive().max(1000),
    budget: privacyBudgetSchema,
    /**
     * Optional DP-SGD inside each site's training (Abadi et al. 2016): gradients clipped per microbatch
     * and noised at every step, for a per-example guarantee besides the site-level one.
     */
    dpSgd: dpSgdSchema.optional(),
    adaptiveClipping: adaptiveClippingSchema.optional(),
  })
  .superRefine((dp, check) => {
    // The bit's noise spends budget too: the update noise z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2) exists only when 2σ_b > z.
    const adaptive = dp.adaptiveClipping;
    if (adaptive && 2 * adaptive.bitNoiseMultiplier <= dp.noiseMultiplier) {
      check.addIssue({
        code: 'custom',
        path: ['adaptiveClipping', 'bitNoiseMultiplier'],
        message:
          `With noise multiplier ${dp.noiseMultiplier}, the clipping bits' noise multiplier must be more than ` +
          `${dp.noiseMultiplier / 2} (half the noise multiplier), or the bits alone would spend the whole budget: ` +
          'raise bitNoiseMultiplier.',
      });
    }
    // Same accounting as privacy-accounting.ts: one Gaussian release per round, no site sampling.
    const first = epsilonSpent({ q: 1, sigma: dp.noiseMultiplier }, 1, dp.budget.delta).epsilon;
    if (first > dp.budget.epsilon) {
      check.addIssue({
        code: 'custom',
        path: ['noiseMultiplier'],
        message:
          `With noise multiplier ${dp.noiseMultiplier}, one round alone spends ε = ${first.toFixed(2)}, more than the ` +
          `budget of ${dp.budget.epsilon}: raise the noise multiplier or the budget.`,
      });
    }
  });

export const differentialPrivacySchema = dpFedAvgSchema.nullable().default(null);
export type DifferentialPrivacySettings = z.infer<typeof differentialPrivacySchema>;
export type DpFedAvgSettings = z.infer<typeof dpFedAvgSchema>;
export type AdaptiveClippingSettings = z.infer<typeof adaptiveClippingSchema>;
export type DpSgdSettings = z.infer<typeof dpSgdSchema>;
export type PrivacyBudgetSettings = z.infer<typeof privacyBudgetSchema>;
