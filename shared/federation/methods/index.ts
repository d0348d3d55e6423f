// The registry of federation methods: one record per method, keyed by the task's strategy name. Look
// a method up once (`federationMethod(definition.strategy)`) and read what it says; code outside this
// folder never compares a strategy's name (methods-rule.spec.ts fails when it does). A new method is
// a new file here and one line in METHODS.
import { FederationError } from '../errors.ts';
import { secureAggregationOn } from '../privacy-accounting.ts';
import type { TaskDefinition } from '../task-schema.ts';
import { assertSameLayout, layoutOf, type WeightSet } from '../tensors.ts';
import { WeightedDeltaSum, type SiteUpdate } from '../weighted-delta-sum.ts';
import { cyclic } from './cyclic.ts';
import { fedAdam } from './fedadam.ts';
import { fedAvg } from './fedavg.ts';
import { fedAvgM } from './fedavgm.ts';
import { fedBn } from './fedbn.ts';
import { fedProx } from './fedprox.ts';
import { krum } from './krum.ts';
import { median } from './median.ts';
import { splitFed } from './splitfed.ts';
import { swarm } from './swarm.ts';
import type { AggregationResult, FederationMethod, MethodFactory, ServerOptimizerState } from './method.ts';
import type { Strategy, StrategyName } from './strategy-schema.ts';
import { trimmedMean } from './trimmed-mean.ts';

export { strategySchema, type Strategy, type StrategyName } from './strategy-schema.ts';
export { assertRoundLayout, roundTensors, SPLIT_MODEL_STAGES } from './round-tensors.ts';

export type {
  AggregationResult,
  Allowance,
  Combination,
  FederationMethod,
  MethodFactory,
  Participation,
  PrivacyLayers,
  ServerOptimizerState,
  ServerStateCodec,
  SiteDuties,
  StepExchange,
  UpdateWeighting,
} from './method.ts';

/** Every strategy name has its record: the mapped type makes a missing one a compile error. */
const METHODS: { readonly [N in StrategyName]: MethodFactory<N> } = {
  fedavg: fedAvg,
  fedprox: fedProx,
  fedavgm: fedAvgM,
  fedadam: fedAdam,
  fedbn: fedBn,
  cyclic,
  median,
  'trimmed-mean': trimmedMean,
  krum,
  splitfed: splitFed,
  swarm,
};

/** The registered method names, in the order the dashboard offers them. */
export const METHOD_NAMES = Object.keys(METHODS) as StrategyName[];

/** The method a task's strategy settings make. */
export function federationMethod(strategy: Strategy): FederationMethod {
  // TypeScript cannot tie METHODS[strategy.name] to the same member of the union; the mapped type
  // above guarantees each factory takes its own strategy's settings.
  const make = METHODS[strategy.name] as (settings: Strategy) => FederationMethod;
  return make(strategy);
}

/** The method's step from the weighted sum of the round's updates (streamed, unmasked or decrypted). */
export function combineSum(
  method: FederationMethod,
  global: WeightSet,
  sum: WeightedDeltaSum,
  serverState: ServerOptimizerState = null,
): AggregationResult {
  if (sum.updates === 0) {
    throw new FederationError('bad-strategy', 'A round cannot be aggregated without any update.');
  }
  if (method.combine.input !== 'sum') {
    throw new FederationError(
      'bad-strategy',
      `The ${method.name} strategy needs each site's own update, not their sum; aggregate with aggregateRound.`,
    );
  }
  return method.combine.step(global, sum, serverState);
}

/** The method's step from the round's individual updates (all in memory). */
export function combineUpdates(
  method: FederationMethod,
  global: WeightSet,
  updates: readonly SiteUpdate[],
  serverState: ServerOptimizerState = null,
): AggregationResult {
  if (method.combine.input === 'each-update') {
    if (updates.length === 0)
      throw new FederationError('bad-strategy', 'A round cannot be aggregated without any update.');
    for (const update of updates) assertSameLayout(layoutOf(update.delta), layoutOf(global));
    return method.combine.step(global, updates);
  }
  const sum = new WeightedDeltaSum(layoutOf(global));
  for (const update of updates) sum.add(update);
  return combineSum(method, global, sum, serverState);
}

/**
 * Over how many sites differential privacy splits each round's noise: the sites summed blind under
 * secure aggregation, each then adding its share so that the sum carries the full noise; otherwise
 * every update is seen alone and carries all of it.
 */
export function noiseShares(definition: TaskDefinition): number {
  if (!secureAggregationOn(definition)) return 1;
  return federationMethod(definition.strategy).participation.summedUpdates(definition.quorum);
}
