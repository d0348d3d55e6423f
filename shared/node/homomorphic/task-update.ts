// How a round's update becomes the values a site encrypts, and how the decrypted sum becomes the
// weighted sum the method's combine step takes. One vector per site:
//   [ w·Δ₁, …, w·Δₙ, w·c ]
// with c the largest |value| an honest update can hold after the update pipeline (the task's update
// bound: without differential privacy the update's L2 norm is clipped to maxUpdateNorm, so no value is
// above it) and w the site's weight (its training images, at most W; 1 under differential privacy).
// Nothing is clipped: the encrypted sum must be the plain sum, and CKKS needs only a bound, not a
// clip (the first demo run clipped every value to ±0.5, cut the batch-norm statistics, and lost 0.14
// test AUC against the plain run). The last value carries the weight, so the sum gives Σ wᵢΔᵢ and Σ wᵢ
// together and the hub learns neither. Every value is within ±c·W, the encryption's value bound B:
// CKKS keeps its precision relative to B (error ≤ S·B·4.1e−8), so W is the smallest power of two at
// least twice the largest cohort the sites declared when the key was made, not the task's loose cap.
import {
  DEFAULT_HOMOMORPHIC_SITES,
  FederationError,
  noiseShares,
  siteLevelDp,
  statisticsValueBound,
  updateNoiseMultiplier,
  WeightedDeltaSum,
  elementCount,
  type NamedTensor,
  type TaskDefinition,
  type TensorLayout,
} from '../../federation/index.ts';
import { summationParameters, type SummationParameters } from './summation-parameters.ts';

/** The settings a homomorphic task's updates are encoded with. */
export interface EncodingSettings {
  /** The largest |value| of an update (c): the update bound, see the top of this file. */
  readonly valueRange: number;
  /** The largest weight one update may carry (W). */
  readonly weightCap: number;
}

/** Sums of how many sites the task's key is sized for. */
export function homomorphicSites(definition: TaskDefinition): number {
  return definition.privacy.homomorphic.maxSites ?? definition.sites?.length ?? DEFAULT_HOMOMORPHIC_SITES;
}

/**
 * The largest |value| of an honest update as the pipeline leaves it (main/site/federation/update-
 * pipeline.ts). Without site-level differential privacy the L2 norm of its trained values is clipped
 * to task.maxUpdateNorm, so no trained value exceeds the norm, and batch norm's running statistics are
 * held to ±statisticsValueBound (not counted in the norm): c is the larger of the two. With it, a value is the clipped change's (≤ C,
 * the norm) plus one Gaussian draw of the site's noise: 10 standard deviations more, which a draw
 * passes with probability 10⁻²³.
 */
export function updateValueRange(definition: TaskDefinition): number {
  const dp = siteLevelDp(definition.privacy.differentialPrivacy);
  if (!dp) return Math.max(definition.maxUpdateNorm, statisticsValueBound(definition));
  const noiseStd = (updateNoiseMultiplier(dp) * dp.clipNorm) / Math.sqrt(noiseShares(definition));
  return dp.clipNorm + 10 * noiseStd;
}

/**
 * The parameters the key's maker fixes for the task: S from the task, B = c·W with W from the
 * largest declared cohort (1 under differential privacy, where every update weighs 1).
 */
export function homomorphicParameters(
  definition: TaskDefinition,
  largestCohort: number | null,
): SummationParameters {
  const weightCap = definition.privacy.differentialPrivacy
    ? 1
    : Math.min(definition.maxExamplesPerSite, 2 ** Math.ceil(Math.log2(2 * Math.max(1, largestCohort ?? 1))));
  return summationParameters({
    maxSites: homomorphicSites(definition),
    valueBound: updateValueRange(definition) * weightCap,
  });
}

/** The encoding a key's parameters imply for a task. */
export function encodingOf(definition: TaskDefinition, parameters: SummationParameters): EncodingSettings {
  const valueRange = updateValueRange(definition);
  const weightCap = Math.floor(parameters.valueBound / valueRange + 1e-9);
  if (weightCap < 1) {
    // A key made by a RadFed that clipped each value to a small range (before 2026-12-07).
    throw new FederationError(
      'bad-strategy',
      "The task's key was made for an older encoding of updates that this RadFed no longer uses; start a new task.",
    );
  }
  return { valueRange, weightCap };
}

/**
 * The vector a site encrypts: its weighted update and its weight (see the top of this file). A value
 * beyond the range is only possible under differential privacy, from a noise draw past 10 standard
 * deviations; it is clipped to the range (post-processing of the noised update) and counted.
 */
export function updateVector(
  delta: readonly NamedTensor[],
  examples: number,
  encoding: EncodingSettings,
): { values: Float64Array; weight: number; clippedValues: number } {
  const { valueRange: c } = encoding;
  const weight = Math.min(Math.max(1, Math.floor(examples)), encoding.weightCap);
  const total = delta.reduce((sum, tensor) => sum + tensor.data.length, 0);
  const values = new Float64Array(total + 1);
  let at = 0;
  let clippedValues = 0;
  for (const tensor of delta) {
    for (let i = 0; i < tensor.data.length; i += 1) {
      const x = tensor.data[i] as number;
      if (!Number.isFinite(x)) {
        throw new FederationError(
          'not-finite',
          'The update has a value that is not a finite number; the local training diverged: lower the learning rate.',
        );
      }
      const kept = Math.min(c, Math.max(-c, x));
      if (kept !== x) clippedValues += 1;
      values[at] = weight * kept;
      at += 1;
    }
  }
  values[at] = weight * c;
  return { values, weight, clippedValues };
}

/** The decrypted sum as the weighted sum Σ wᵢΔᵢ, Σ wᵢ of `updates` updates, in the model's layout. */
export function sumFromVector(
  values: Float64Array,
  layout: readonly TensorLayout[],
  encoding: EncodingSettings,
  updates: number,
): WeightedDeltaSum {
  const expected = layout.reduce((sum, tensor) => sum + elementCount(tensor.shape), 0) + 1;
  if (values.length !== expected) {
    throw new FederationError(
      'bad-strategy',
      `The encrypted sum holds ${values.length} values, but this task's model needs ${expected}; update RadFed at every site.`,
    );
  }
  const totalWeight = (values[expected - 1] as number) / encoding.valueRange;
  if (!(totalWeight > 0.5)) {
    throw new FederationError('bad-strategy', 'The encrypted sum carries no weight: no update was added.');
  }
  // Each update carries a weight of 1 to W: a total outside what `updates` updates can carry means
  // the hub added some update more times than its receipt says (half a weight of room for CKKS noise).
  if (totalWeight > updates * encoding.weightCap + 0.5 || totalWeight < updates - 0.5) {
    throw new FederationError(
      'bad-strategy',
      `The encrypted sum carries a weight of ${Math.round(totalWeight)}, which ${updates} updates cannot carry (1 to ${encoding.weightCap} each): the hub may have added an update more than once, so this site does not use it. Tell the federation's coordinator.`,
    );
  }
  // Each honest value is w·Δ with |Δ| ≤ c, so no summed value exceeds Σw·c (CKKS adds far less than the
  // room given here). A larger one came from a site that encrypted beyond the task's range, or from an
  // overflowed sum: decoded as it is, it would move the model by up to S·B (the encryption's whole
  // range) where an honest round moves it by at most c, so the sum is refused.
  const largest =
    totalWeight * encoding.valueRange + 1e-6 * updates * encoding.weightCap * encoding.valueRange;
  for (let i = 0; i < expected - 1; i += 1) {
    if (!(Math.abs(values[i] as number) <= largest)) {
      throw new FederationError(
        'bad-strategy',
        `The encrypted sum holds a value larger than ${updates} updates of this task can carry: a site encrypted an update outside the task's bound, so this site does not use the sum. Tell the federation's coordinator.`,
      );
    }
  }
  let at = 0;
  const sums = layout.map((tensor) => {
    const size = elementCount(tensor.shape);
    const part = values.slice(at, at + size);
    at += size;
    return part;
  });
  return WeightedDeltaSum.fromTotals(layout, sums, totalWeight, updates);
}
