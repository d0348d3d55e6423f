// Split learning's defences as task settings, and the site's own limits on how much a cut may leak.
// The task settings travel in the task definition (the splitfed strategy's `defences`); the limits are
// the site's, set by its operator, and decide whether the site approves a cut at all. Runs anywhere.
import { z } from 'zod';

/**
 * NoPeek's distance correlation compares every pair of images in a batch: two B × B distance matrices
 * and their centred copies, about a dozen of them kept for the gradient. At 512 images each matrix is
 * 1 MiB; above that the memory grows with the square of the batch, so the setting refuses larger ones.
 */
export const NOPEEK_MAX_BATCH = 512;

export const splitDefencesSchema = z
  .object({
    /**
     * NoPeek (Vepakomma et al. 2019): the site adds `weight` × the distance correlation between its
     * images and its activations at cut 1 to its loss, so the activations carry less of the image.
     */
    noPeek: z
      .object({ weight: z.number().positive().max(100) })
      .strict()
      .optional(),
    /**
     * Before the activations at cut 1 leave: each image's activations scaled down to an L2 norm of at
     * most `clipNorm`, then Gaussian noise added to every value, standard deviation
     * `noiseMultiplier` × clipNorm / √(values per image), so the noise's length is about
     * noiseMultiplier × clipNorm. Not a differential-privacy guarantee (no budget is counted).
     */
    activationNoise: z
      .object({
        clipNorm: z.number().positive().max(1e6),
        noiseMultiplier: z.number().min(0).max(100),
      })
      .strict()
      .optional(),
    /**
     * Max norm (Li et al. 2021): the gradient the label holder returns gets per-image Gaussian noise
     * that gives every image's gradient the expected length of the batch's longest, so the lengths no
     * longer tell the classes apart.
     */
    gradientMaxNorm: z.boolean().default(false),
    /**
     * Hijack check (a stated rule on the site's validation loss, SplitGuard's aim): the site holds back
     * `validationImages` of its training images and measures its loss on them every `checkEvery`
     * steps. It stops the session when, after `warmupChecks` readings, the best reading is not
     * `minimumDrop` (a fraction) below the chance loss (the loss of a model that knows only how common
     * each label is: a head on features that carry nothing gets there by itself), or when `patience`
     * readings in a row stay above the best by `riseTolerance`.
     */
    hijackCheck: z
      .object({
        validationImages: z.number().int().min(8).max(4096).default(64),
        checkEvery: z.number().int().min(1).max(10_000).default(20),
        warmupChecks: z.number().int().min(2).max(1000).default(10),
        minimumDrop: z.number().min(0).max(0.9).default(0.2),
        riseTolerance: z.number().min(0).max(10).default(0.25),
        patience: z.number().int().min(1).max(1000).default(3),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SplitDefences = z.infer<typeof splitDefencesSchema>;
export type HijackCheckSettings = NonNullable<SplitDefences['hijackCheck']>;
export type ActivationNoiseSettings = NonNullable<SplitDefences['activationNoise']>;

/**
 * The sentence that refuses NoPeek with too large a batch, or null when the batch fits. For a task
 * check (the batch size is the task's) and for the site's own check before it trains.
 */
export function noPeekBatchProblem(defences: SplitDefences, batchSize: number): string | null {
  if (!defences.noPeek || batchSize <= NOPEEK_MAX_BATCH) return null;
  return (
    `NoPeek compares every pair of images in a batch, so its memory grows with the square of the batch: ` +
    `it takes at most ${NOPEEK_MAX_BATCH} images per batch, and this task's batch has ${batchSize}. ` +
    `Lower the batch size to ${NOPEEK_MAX_BATCH} or less, or turn NoPeek off.`
  );
}

/**
 * The site's limits on a cut, checked by the leakage meter before the site approves a split-learning
 * task: a cut whose activations let a decoder bring the site's images back with a structural similarity
 * (SSIM, 0 to 1) above `maxImageSsim`, or whose returned gradients tell the classes apart with an AUC
 * above `maxLabelAuc`, is refused.
 */
export const splitLeakageLimitsSchema = z
  .object({
    maxImageSsim: z.number().min(0).max(1).default(0.5),
    maxLabelAuc: z.number().min(0.5).max(1).default(0.75),
  })
  .strict();

export type SplitLeakageLimits = z.infer<typeof splitLeakageLimitsSchema>;
