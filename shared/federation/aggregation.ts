// The server side of each strategy: from the global model and the sites' updates (each the difference
// between a site's trained weights and the global model) to the next global model.
//   FedAvg, FedProx:  w' = w + Σ nᵢΔᵢ / Σ nᵢ                  (FedProx's μ acts at the sites only)
//   FedAvgM:          FedAvg with server momentum: u ← βu + Δ, w' = w + ηu (running statistics plain)
//   FedAdam:          Adam on the server with the averaged Δ as its (negated) gradient
//   FedBN:            as FedAvg, but batch-norm tensors keep the global model's values (they stay local)
//   Cyclic:           the one visiting site's Δ is applied: w' = w + Δ
// Sums run in float64 so the result does not depend on the order the updates arrived in beyond
// float32 rounding of the final value.
import { FederationError } from './errors.ts';
import { type FedAdamState, fedAdamStep } from './fed-adam.ts';
import { type FedAvgMState, fedAvgMStep } from './fed-avgm.ts';
import { isRobustStrategy, robustDelta } from './robust-aggregation.ts';
import type { Strategy } from './task-schema.ts';
import {
  assertSameLayout,
  elementCount,
  layoutOf,
  type NamedTensor,
  type TensorLayout,
  type WeightSet,
} from './tensors.ts';
import { isLocalTensor } from './tensor-names.ts';

export { isLocalTensor };

export interface SiteUpdate {
  readonly siteId: string;
  /** Training examples behind the update: its weight in the mean. */
  readonly examples: number;
  readonly delta: WeightSet;
}

/**
 * Optimiser state the hub keeps between rounds (FedAdam's moments, FedAvgM's velocity); null for
 * stateless strategies.
 */
export type ServerOptimizerState = FedAdamState | FedAvgMState | null;

export interface AggregationResult {
  readonly weights: NamedTensor[];
  readonly serverState: ServerOptimizerState;
}

export function aggregateRound(
  strategy: Strategy,
  global: WeightSet,
  updates: readonly SiteUpdate[],
  serverState: ServerOptimizerState = null,
): AggregationResult {
  if (isRobustStrategy(strategy)) {
    if (updates.length === 0)
      throw new FederationError('bad-strategy', 'A round cannot be aggregated without any update.');
    for (const update of updates) assertSameLayout(layoutOf(update.delta), layoutOf(global));
    const deltas = updates.map((update) => update.delta);
    return { weights: applyDelta(global, robustDelta(strategy, deltas)), serverState: null };
  }
  const sum = new WeightedDeltaSum(layoutOf(global));
  for (const update of updates) sum.add(update);
  return applyStrategy(strategy, global, sum, serverState);
}

/**
 * The server step of a strategy, given the weighted sum of the round's updates. The hub feeds the
 * sum one update at a time (it never needs all of them in memory); with secure aggregation (issue 6)
 * the sum arrives already added up.
 */
export function applyStrategy(
  strategy: Strategy,
  global: WeightSet,
  sum: WeightedDeltaSum,
  serverState: ServerOptimizerState = null,
): AggregationResult {
  if (sum.updates === 0) {
    throw new FederationError('bad-strategy', 'A round cannot be aggregated without any update.');
  }
  switch (strategy.name) {
    case 'fedavg':
    case 'fedprox':
      return { weights: applyDelta(global, sum.mean()), serverState: null };
    case 'cyclic':
      if (sum.updates !== 1) {
        throw new FederationError(
          'bad-strategy',
          `Cyclic weight transfer takes one site's update per round, not ${sum.updates}.`,
        );
      }
      return { weights: applyDelta(global, sum.mean()), serverState: null };
    case 'fedbn': {
      const suffixes = strategy.localTensorSuffixes;
      return {
        weights: applyDelta(
          global,
          sum.mean((name) => !isLocalTensor(name, suffixes)),
        ),
        serverState: null,
      };
    }
    case 'median':
    case 'trimmed-mean':
    case 'krum':
      throw new FederationError(
        'bad-strategy',
        `The ${strategy.name} strategy needs each site's own update, not their sum; aggregate with aggregateRound.`,
      );
    case 'fedavgm':
      return fedAvgMStep(global, sum.mean(), serverState?.kind === 'fedavgm' ? serverState : null, {
        learningRate: strategy.serverLearningRate,
        momentum: strategy.momentum,
        plainTensorSuffixes: strategy.plainTensorSuffixes,
      });
    case 'fedadam':
      return fedAdamStep(global, sum.mean(), serverState?.kind === 'fedadam' ? serverState : null, {
        learningRate: strategy.serverLearningRate,
        beta1: strategy.beta1,
        beta2: strategy.beta2,
        epsilon: strategy.epsilon,
      });
  }
}

/** Σ nᵢΔᵢ and Σ nᵢ over the updates added so far, in float64. */
export class WeightedDeltaSum {
  private readonly sums: Float64Array[];
  private totalExamples = 0;
  private count = 0;

  constructor(readonly layout: readonly TensorLayout[]) {
    this.sums = layout.map((tensor) => new Float64Array(elementCount(tensor.shape)));
  }

  /**
   * A sum computed elsewhere: with secure aggregation (issue 6) the hub unmasks Σ nᵢΔᵢ and Σ nᵢ
   * directly and never sees an individual update.
   */
  static fromTotals(
    layout: readonly TensorLayout[],
    sums: readonly Float64Array[],
    totalExamples: number,
    updates: number,
  ): WeightedDeltaSum {
    const sum = new WeightedDeltaSum(layout);
    sums.forEach((values, index) => (sum.sums[index] as Float64Array).set(values));
    sum.totalExamples = totalExamples;
    sum.count = updates;
    return sum;
  }

  get updates(): number {
    return this.count;
  }

  get examples(): number {
    return this.totalExamples;
  }

  add(update: SiteUpdate): void {
    if (!Number.isFinite(update.examples) || update.examples <= 0) {
      throw new FederationError(
        'bad-strategy',
        `An update needs a positive example count to be weighted (site ${update.siteId} sent ${update.examples}).`,
      );
    }
    assertSameLayout(layoutOf(update.delta), this.layout);
    const weight = update.examples;
    update.delta.forEach((tensor, index) => {
      const sum = this.sums[index] as Float64Array;
      const data = tensor.data;
      for (let i = 0; i < sum.length; i += 1) sum[i] = (sum[i] as number) + weight * (data[i] as number);
    });
    this.totalExamples += weight;
    this.count += 1;
  }

  /** Σ nᵢΔᵢ / Σ nᵢ; tensors for which `include` says false come out as zeros (left as they were). */
  mean(include: (name: string) => boolean = () => true): NamedTensor[] {
    return this.layout.map((tensor, index) => {
      const sum = this.sums[index] as Float64Array;
      const out = new Float32Array(sum.length);
      if (include(tensor.name) && this.totalExamples > 0) {
        for (let i = 0; i < out.length; i += 1) out[i] = (sum[i] as number) / this.totalExamples;
      }
      return { name: tensor.name, shape: [...tensor.shape], data: out };
    });
  }
}

/** Σ nᵢΔᵢ / Σ nᵢ of the given updates (all in memory; the hub streams through WeightedDeltaSum). */
export function weightedMeanDelta(
  updates: readonly SiteUpdate[],
  include: (name: string) => boolean = () => true,
): NamedTensor[] {
  const first = updates[0];
  if (!first) throw new FederationError('bad-strategy', 'There is no update to average.');
  const sum = new WeightedDeltaSum(layoutOf(first.delta));
  for (const update of updates) sum.add(update);
  return sum.mean(include);
}

export function applyDelta(global: WeightSet, delta: WeightSet): NamedTensor[] {
  return global.map((tensor, index) => {
    const change = (delta[index] as NamedTensor).data;
    const out = new Float32Array(tensor.data.length);
    for (let i = 0; i < out.length; i += 1) out[i] = (tensor.data[i] as number) + (change[i] as number);
    return { name: tensor.name, shape: [...tensor.shape], data: out };
  });
}
