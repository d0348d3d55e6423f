// What happens to a round's update between training and sealing, in order. Each step takes the
// update as the previous one left it:
//   1. differential privacy (DP-FedAvg): clip to L2 norm C, add this site's share of Gaussian noise;
//   2. without differential privacy, clip to the task's update bound (task.maxUpdateNorm), a little
//      under it so float16 rounding cannot carry it over: the hub clips or refuses a plain update above
//      the bound, and under secure aggregation fails the whole round when the sum exceeds n bounds, so
//      an honest site's unusually large update must never be the one that stops a round. The bound
//      counts the trained values only: batch norm's running statistics are held to their own per-value
//      bound (±statisticsClipRange, shared/federation/update-bounds.ts) instead, as the hub checks;
//   3. (secure aggregation masks what comes out of here, in its own files).
// With differential privacy every site reports a weight of 1 instead of its number of training
// images: the hub then averages the clipped updates uniformly, so one site moves the sum by at most
// C (the sensitivity the noise is scaled to; with example-count weights a large site would move it
// by more), and the site's number of images does not leave un-noised beside the update.
import {
  isRunningStatistic,
  statisticsValueBound,
  type NamedTensor,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import { clipToNorm } from './dp-clip.ts';
import { applyDpFedAvg, type DpFedAvgReport } from './dp-fedavg.ts';
import type { GaussianSource } from '../../../shared/node/privacy/index.ts';

export interface UpdateForUpload {
  /** The change to the global model, local − global. */
  readonly delta: readonly NamedTensor[];
  /** The weight the hub gives this update (its number of training images, without DP). */
  readonly examples: number;
}

export interface PreparedUpdate {
  readonly delta: readonly NamedTensor[];
  readonly examples: number;
  /** What differential privacy did to it (null when the task has none); stays at the site. */
  readonly privacy: DpFedAvgReport | null;
  /** Without differential privacy: whether the update was scaled down to the task's update bound. */
  readonly clippedToBound: boolean;
}

/** float16 keeps 11 significant bits: a value may grow by 2⁻¹¹ when encoded, the norm no more. */
const FLOAT16_HEADROOM = 1 - 2 ** -10;

export function prepareUpdateForUpload(
  update: UpdateForUpload,
  definition: TaskDefinition,
  options: { gaussian?: GaussianSource; clipNorm?: number | null } = {},
): PreparedUpdate {
  const dp = applyDpFedAvg(update.delta, definition, options.gaussian, options.clipNorm);
  if (dp.report) return { delta: dp.weights, examples: 1, privacy: dp.report, clippedToBound: false };
  const trained = dp.weights.filter((tensor) => !isRunningStatistic(tensor.name));
  const bounded = clipToNorm(trained, definition.maxUpdateNorm * FLOAT16_HEADROOM);
  const statisticsLimit = statisticsValueBound(definition) * FLOAT16_HEADROOM;
  let next = 0;
  const delta = dp.weights.map((tensor) =>
    isRunningStatistic(tensor.name)
      ? { ...tensor, data: tensor.data.map((v) => Math.min(statisticsLimit, Math.max(-statisticsLimit, v))) }
      : (bounded.weights[next++] as NamedTensor),
  );
  return {
    delta,
    examples: update.examples,
    privacy: null,
    clippedToBound: bounded.scale < 1,
  };
}
