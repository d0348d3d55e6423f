// The server side of a round: from the global model and the sites' updates (each the difference
// between a site's trained weights and the global model) to the next global model. Each method's
// step is in its record (methods/): FedAvg and FedProx add the weighted mean, FedAvgM and FedAdam run
// an optimiser on it, FedBN leaves batch-norm tensors as they were, cyclic weight transfer applies the
// one visiting site's change, median, trimmed mean and Krum combine the individual updates. These two
// entry points look the method up and run its step.
import { combineSum, combineUpdates, federationMethod } from './methods/index.ts';
import type { AggregationResult, ServerOptimizerState } from './methods/index.ts';
import type { Strategy } from './task-schema.ts';
import type { WeightSet } from './tensors.ts';
import type { SiteUpdate, WeightedDeltaSum } from './weighted-delta-sum.ts';

export { isLocalTensor } from './tensor-names.ts';
export { applyDelta, weightedMeanDelta, WeightedDeltaSum, type SiteUpdate } from './weighted-delta-sum.ts';
export type { AggregationResult, ServerOptimizerState } from './methods/index.ts';

/** The next global model from the round's individual updates (all in memory). */
export function aggregateRound(
  strategy: Strategy,
  global: WeightSet,
  updates: readonly SiteUpdate[],
  serverState: ServerOptimizerState = null,
): AggregationResult {
  return combineUpdates(federationMethod(strategy), global, updates, serverState);
}

/**
 * The server step of a strategy, given the weighted sum of the round's updates. The hub feeds the
 * sum one update at a time (it never needs all of them in memory); with secure aggregation the sum
 * arrives already added up.
 */
export function applyStrategy(
  strategy: Strategy,
  global: WeightSet,
  sum: WeightedDeltaSum,
  serverState: ServerOptimizerState = null,
): AggregationResult {
  return combineSum(federationMethod(strategy), global, sum, serverState);
}
