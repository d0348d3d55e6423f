// Differential privacy settings of a task, in one of two units (null is off):
// - unit 'patient' (patient-level DP-SGD, Abadi et al. 2016, the documented mode for a few hospitals):
//   at every training step of a site each patient is in the batch with probability q (Poisson
//   sampling), the gradient of all that patient's images in the step, summed, is clipped to L2 norm
//   l2NormClip, and Gaussian noise of std noiseMultiplier·l2NormClip is added to the batch's sum. The
//   released models hardly depend on whether any one patient (all their images) took part.
// - unit 'site' or absent (DP-FedAvg, McMahan et al. 2018, for federations of many sites): each site
//   clips its update (the change to the global model) to L2 norm clipNorm and adds Gaussian noise so
//   that the sum over sites carries N(0, (noiseMultiplier·clipNorm)²). The guarantee is at the site
//   level: the released models hardly depend on whether any one site (all its patients) took part.
// docs/differential-privacy.md says which to choose.
import { z } from 'zod';
import { epsilonSpent } from '../privacy/index.ts';
import { DP_TRAINABLE_LAYERS } from './dp-trainable-layers.ts';

export const privacyBudgetSchema = z.object({
  /** The most ε the task may spend; medical FL papers report 1 to 10 for useful models. */
  epsilon: z.number().positive().max(100),
  /** Probability that the guarantee fails outright; well below 1 / (number of sites). */
  delta: z.number().positive().max(0.1),
});

/**
 * The older per-microbatch DP-SGD option inside DP-FedAvg. Still parsed so that existing tasks keep
 * working, but its noise is not accounted for per patient: for patient-level privacy use unit 'patient'.
 */
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
    /** Site-level DP; absent in tasks written before the patient unit existed, which mean the same. */
    unit: z.literal('site').optional(),
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

/**
 * Patient-level DP-SGD at each site. A site runs ceil(localEpochs / samplingRate) steps per round
 * (patientDpStepsPerRound in privacy-accounting.ts), so that each patient is expected in localEpochs
 * batches a round, and the accountant counts the Poisson-subsampled Gaussian (q, σ) over all steps.
 * The task's input may leave noiseMultiplier out: the hub then calibrates it from the budget when it
 * creates the task (hub/privacy-checks.ts) and stores it in the definition every site receives.
 */
export const patientDpSgdSchema = z.object({
  unit: z.literal('patient'),
  /** Each patient's gradient (all of that patient's images in the step, summed) is clipped to this L2 norm. */
  l2NormClip: z.number().positive().max(1e6),
  /** σ: the noise std added to each step's summed gradient, in units of l2NormClip. */
  noiseMultiplier: z.number().positive().max(1000),
  /** q: each patient is in each step's batch with probability q (Poisson); expected batch q × patients. */
  samplingRate: z.number().positive().max(1),
  budget: privacyBudgetSchema,
  /**
   * Which tensors the sites train (dp-trainable-layers.ts); absent means 'all'. 'head' or
   * 'norm-and-head' is DP fine-tuning: the task's initial weights, pre-trained on data no site
   * contributes, stay fixed elsewhere, and the noise covers only the trained values.
   */
  trainableLayers: z.enum(DP_TRAINABLE_LAYERS).optional(),
});

export const differentialPrivacySchema = z
  .discriminatedUnion('unit', [patientDpSgdSchema, dpFedAvgSchema])
  .nullable()
  .default(null);
export type DifferentialPrivacySettings = z.infer<typeof differentialPrivacySchema>;
export type DpFedAvgSettings = z.infer<typeof dpFedAvgSchema>;
export type PatientDpSgdSettings = z.infer<typeof patientDpSgdSchema>;
/** Any one of the DP modes (not null). */
export type DpSettings = DpFedAvgSettings | PatientDpSgdSettings;
export type AdaptiveClippingSettings = z.infer<typeof adaptiveClippingSchema>;
export type DpSgdSettings = z.infer<typeof dpSgdSchema>;
export type PrivacyBudgetSettings = z.infer<typeof privacyBudgetSchema>;

/** The protected unit of a task's DP settings (site when the settings predate the unit field). */
export function dpUnit(dp: DpSettings): 'patient' | 'site' {
  return dp.unit === 'patient' ? 'patient' : 'site';
}

/** The settings when they are patient-level DP-SGD, else null. */
export function patientLevelDp(dp: DpSettings | null | undefined): PatientDpSgdSettings | null {
  return dp?.unit === 'patient' ? dp : null;
}

/** The settings when they are site-level DP-FedAvg (update clipping and noise), else null. */
export function siteLevelDp(dp: DpSettings | null | undefined): DpFedAvgSettings | null {
  return dp && dp.unit !== 'patient' ? dp : null;
}
