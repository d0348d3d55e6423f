// What happens to a round's update between training and sealing, in order. Each step takes the
// update as the previous one left it:
//   1. differential privacy (DP-FedAvg): clip to L2 norm C, add this site's share of Gaussian noise;
//   2. (secure aggregation masks what comes out of here, in its own files).
// With differential privacy every site reports a weight of 1 instead of its number of training
// images: the hub then averages the clipped updates uniformly, so one site moves the sum by at most
// C (the sensitivity the noise is scaled to; with example-count weights a large site would move it
// by more), and the site's number of images does not leave un-noised beside the update.
import type { NamedTensor, TaskDefinition } from '../../../shared/federation/index.ts';
import { applyDpFedAvg, type DpFedAvgReport } from './dp-fedavg.ts';
import type { GaussianSource } from '../../../shared/privacy/index.ts';

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
}

export function prepareUpdateForUpload(
  update: UpdateForUpload,
  definition: TaskDefinition,
  options: { gaussian?: GaussianSource; clipNorm?: number | null } = {},
): PreparedUpdate {
  const dp = applyDpFedAvg(update.delta, definition, options.gaussian, options.clipNorm);
  return {
    delta: dp.weights,
    examples: dp.report ? 1 : update.examples,
    privacy: dp.report,
  };
}
