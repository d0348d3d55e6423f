// The registry's promises, method by method: each strategy name makes its own record, the privacy
// layers a record allows agree with what its combine step needs, its server state survives being
// stored, and participation says who sends in a round.
import { describe, expect, it } from 'vitest';
import { strategySchema, type Strategy } from '../task-schema.ts';
import type { NamedTensor } from '../tensors.ts';
import { WeightedDeltaSum } from '../weighted-delta-sum.ts';
import { combineSum, federationMethod, METHOD_NAMES } from './index.ts';

/** Each method with its default settings (FedProx needs μ). */
const every: Strategy[] = METHOD_NAMES.map((name) =>
  strategySchema.parse(name === 'fedprox' ? { name, mu: 0.1 } : { name }),
);

const tensor = (name: string, values: number[]): NamedTensor => ({
  name,
  shape: [values.length],
  data: Float32Array.from(values),
});

describe('the method registry', () => {
  it('makes each strategy its own record, named as the strategy', () => {
    expect(every.map((strategy) => federationMethod(strategy).name)).toEqual(METHOD_NAMES);
  });

  it('refuses secure aggregation and homomorphic sums, with a reason, exactly where the method needs each update', () => {
    for (const strategy of every) {
      const method = federationMethod(strategy);
      const { secureAggregation, homomorphic } = method.privacy;
      if (method.combine.input === 'each-update') {
        expect(secureAggregation.allowed, strategy.name).toBe(false);
        expect(homomorphic.allowed, strategy.name).toBe(false);
      }
      for (const layer of Object.values(method.privacy))
        if (!layer.allowed) expect(layer.reason, strategy.name).toMatch(/choose /);
    }
  });

  it('a masked sum fits every method that takes secure aggregation (its step reads only the sum)', () => {
    for (const strategy of every) {
      const method = federationMethod(strategy);
      if (!method.privacy.secureAggregation.allowed) continue;
      expect(method.combine.input, strategy.name).toBe('sum');
    }
  });

  it('stores and restores the state a stateful method keeps between rounds', () => {
    const global = [tensor('dense/kernel', [1, 2]), tensor('bn/moving_mean', [0, 0])];
    const sum = new WeightedDeltaSum(global);
    sum.add({
      siteId: 'a',
      examples: 3,
      delta: [tensor('dense/kernel', [0.3, -0.6]), tensor('bn/moving_mean', [1, 1])],
    });
    for (const strategy of every) {
      const method = federationMethod(strategy);
      if (!method.serverState || method.combine.input !== 'sum') continue;
      const { serverState } = combineSum(method, global, sum);
      expect(serverState, strategy.name).not.toBeNull();
      const stored = method.serverState.toTensors(serverState!);
      expect(method.serverState.fromTensors(stored, serverState!.step)).toEqual(serverState);
    }
  });

  it('cyclic weight transfer gives each round to the next joined site; the others take every site', () => {
    const cyclic = federationMethod({ name: 'cyclic' }).participation;
    expect([1, 2, 3, 4].map((round) => cyclic.turn(['oak', 'elm', 'ash'], round))).toEqual([
      'oak',
      'elm',
      'ash',
      'oak',
    ]);
    expect(cyclic.awaited(['oak', 'elm', 'ash'], 'elm')).toEqual(['elm']);
    expect(cyclic.neededUpdates(5)).toBe(1);
    expect(cyclic.quorumProblem(5, 2)).toBeNull();
    const fedAvg = federationMethod({ name: 'fedavg' }).participation;
    expect(fedAvg.turn(['oak', 'elm'], 1)).toBeNull();
    expect(fedAvg.awaited(['oak', 'elm'], null)).toEqual(['oak', 'elm']);
    expect(fedAvg.quorumProblem(3, 2)).toMatch(/no round could ever complete/);
  });
});
