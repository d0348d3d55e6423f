// How far one site may move the global model, and how many examples it may claim. Without a bound a
// single site can send a finite but enormous update (3.4e38 per value) or claim 9e15 examples, and the
// weighted mean then is whatever that site wants, up to infinity. The hub bounds each update's L2 norm
// (task.maxUpdateNorm), each claimed example count (what the site declared when it joined, and
// task.maxExamplesPerSite), and checks every model is finite before it signs it.
// The norm counts the trained values only. Batch norm's running statistics move by tens a round (22.7
// in the demo's CNN): ResNet-18's ~9,600 channels moving by 20 are a norm of ~2,000 on their own, above
// the default bound of 1000, while the weights of a sound round move by hundredths. The statistics are
// bounded value by value instead, by the task's secure-aggregation statisticsClipRange (±64 by
// default), the range secure aggregation clips them to; a plain update past it is refused.
import { updateNoiseMultiplier } from './adaptive-clipping.ts';
import { siteLevelDp } from './differential-privacy-settings.ts';
import { noiseShares } from './methods/index.ts';
import { isRunningStatistic } from './running-statistics.ts';
import type { TaskDefinition } from './task-schema.ts';
import type { NamedTensor, WeightSet } from './tensors.ts';

/** The L2 norm of all values of a weight set, summed in float64 (Infinity if any value is). */
export function l2Norm(weights: WeightSet): number {
  let sum = 0;
  for (const tensor of weights) for (const value of tensor.data) sum += value * value;
  return Math.sqrt(sum);
}

/** The L2 norm of the trained values: every tensor but batch norm's running statistics (see the top). */
export function trainedL2Norm(weights: WeightSet): number {
  return l2Norm(weights.filter((tensor) => !isRunningStatistic(tensor.name)));
}

/** How many trained values (not running statistics) a weight set has. */
export function trainedValueCount(weights: WeightSet): number {
  let count = 0;
  for (const tensor of weights) if (!isRunningStatistic(tensor.name)) count += tensor.data.length;
  return count;
}

/** The largest |change| of one running-statistics value in a round: the task's statisticsClipRange. */
export function statisticsValueBound(definition: TaskDefinition): number {
  return definition.privacy.secureAggregation.statisticsClipRange;
}

/**
 * Why an update's running statistics are out of their bound (a value beyond ±bound, or not finite),
 * or null when they are within it. Names no tensor value, only the bound and how many passed it.
 */
export function statisticsBoundProblem(weights: WeightSet, bound: number): string | null {
  let beyond = 0;
  for (const tensor of weights) {
    if (!isRunningStatistic(tensor.name)) continue;
    for (const value of tensor.data) if (!(Math.abs(value) <= bound)) beyond += 1;
  }
  if (beyond === 0) return null;
  return (
    `${beyond} batch-norm running-statistics value${beyond === 1 ? '' : 's'} of the update moved by more than ` +
    `the task's bound of ±${bound} (privacy.secureAggregation.statisticsClipRange); update RadFed at the site, ` +
    'or raise statisticsClipRange in the task if the model\u2019s statistics truly move that far in a round.'
  );
}

/**
 * The update with its trained values times `scale` and its running statistics as they are: clipping
 * to the norm bound scales what the bound counts, and the statistics have their own per-value bound.
 */
export function scaleTrainedValues(weights: WeightSet, scale: number): NamedTensor[] {
  return weights.map((tensor) => ({
    name: tensor.name,
    shape: [...tensor.shape],
    data: isRunningStatistic(tensor.name)
      ? Float32Array.from(tensor.data)
      : tensor.data.map((v) => v * scale),
  }));
}

/** The weight set times `scale` (float32, like every tensor). */
export function scaleWeights(weights: WeightSet, scale: number): NamedTensor[] {
  return weights.map((tensor) => ({
    name: tensor.name,
    shape: [...tensor.shape],
    data: tensor.data.map((value) => value * scale),
  }));
}

/**
 * The largest L2 norm of the trained values (trainedL2Norm) the hub accepts from one site's update of
 * `values` trained numbers. With differential
 * privacy an honest update is the clipped change (norm ≤ C) plus the site's Gaussian noise, whose norm
 * is about std·√values; the bound leaves room for it (6 standard deviations of the noise's norm more),
 * so the hub never refuses or shrinks noise that the privacy guarantee counts on. Patient-level DP
 * (DP-SGD inside each site's training) clips and noises gradients, not the update: the update is
 * bounded like one without DP, by task.maxUpdateNorm alone.
 */
export function updateNormBound(
  definition: TaskDefinition,
  values: number,
  /** The round's clip norm C (differential privacy; with adaptive clipping, the round's). */
  clipNorm: number | null = null,
): number {
  const dp = siteLevelDp(definition.privacy.differentialPrivacy);
  if (!dp) return definition.maxUpdateNorm;
  const c = clipNorm ?? dp.clipNorm;
  const shares = noiseShares(definition);
  const noiseStd = (updateNoiseMultiplier(dp) * c) / Math.sqrt(shares);
  return Math.max(definition.maxUpdateNorm, c) + noiseStd * (Math.sqrt(values) + 6);
}

/**
 * Adaptive clipping: the largest |noised centred bit| an honest site sends (|b − ½| ≤ ½ plus ten
 * standard deviations of its share of the bit noise), and the largest |sum| of `sites` such bits.
 * A bit beyond it would move the next round's clip norm C by exp(η·bit): to 0 or to infinity.
 */
export function clipBitBounds(
  definition: TaskDefinition,
  sites: number,
): { perSite: number; sum: number } | null {
  const adaptive = siteLevelDp(definition.privacy.differentialPrivacy)?.adaptiveClipping;
  if (!adaptive) return null;
  const shares = noiseShares(definition);
  const siteStd = adaptive.bitNoiseMultiplier / Math.sqrt(shares);
  return { perSite: 0.5 + 10 * siteStd, sum: sites * 0.5 + 10 * siteStd * Math.sqrt(sites) };
}

/** The most examples a site may claim: its declaration at join (when it made one) and the task's cap. */
export function examplesBound(definition: TaskDefinition, declared: number | null): number {
  return declared === null
    ? definition.maxExamplesPerSite
    : Math.min(declared, definition.maxExamplesPerSite);
}

/** Why a model may not be published (a value that is not finite in float32), or null when it may. */
export function unpublishableReason(weights: WeightSet, what = 'The combined model'): string | null {
  let bad = 0;
  for (const tensor of weights) for (const value of tensor.data) if (!Number.isFinite(value)) bad += 1;
  if (bad === 0) return null;
  return (
    `${what} has ${bad} value${bad === 1 ? '' : 's'} that ${bad === 1 ? 'is' : 'are'} not finite (infinity or NaN), ` +
    'so it was not published and the previous global model stays current; lower task.maxUpdateNorm, ' +
    "and check the sites' recorded update norms for one far above the others."
  );
}
