import { describe, expect, it } from 'vitest';
import {
  aggregateRound,
  applyStrategy,
  isLocalTensor,
  WeightedDeltaSum,
  type SiteUpdate,
} from './aggregation.ts';
import { FederationError } from './errors.ts';
import type { FedAdamState } from './fed-adam.ts';
import type { FedAvgMState } from './fed-avgm.ts';
import { strategySchema, type Strategy } from './task-schema.ts';
import { layoutOf, type NamedTensor } from './tensors.ts';

const global: NamedTensor[] = [
  { name: 'conv/kernel', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
  { name: 'bn/gamma', shape: [2], data: Float32Array.of(1, 1) },
  { name: 'bn/moving_mean', shape: [2], data: Float32Array.of(0, 0) },
  { name: 'dense/bias', shape: [1], data: Float32Array.of(-1) },
];

function delta(values: number[][]): NamedTensor[] {
  return global.map((tensor, i) => ({
    name: tensor.name,
    shape: tensor.shape,
    data: Float32Array.from(values[i]!),
  }));
}

const updates: SiteUpdate[] = [
  { siteId: 'a', examples: 10, delta: delta([[0.1, 0.2, 0.3, 0.4], [0.5, -0.5], [2, 2], [1]]) },
  { siteId: 'b', examples: 30, delta: delta([[-0.1, 0, 0.1, 0.2], [0.1, 0.1], [-2, 4], [-1]]) },
  { siteId: 'c', examples: 60, delta: delta([[0, 0, 0, 1], [0, 0], [1, 1], [0.5]]) },
];

/** The weighted mean written out value by value, in doubles: the reference for the strategies. */
function directMean(tensorIndex: number, valueIndex: number): number {
  const total = updates.reduce((sum, u) => sum + u.examples, 0);
  return updates.reduce((sum, u) => sum + u.examples * u.delta[tensorIndex]!.data[valueIndex]!, 0) / total;
}

function each(fn: (t: number, v: number) => void) {
  global.forEach((tensor, t) => tensor.data.forEach((_, v) => fn(t, v)));
}

const strategy = (input: unknown): Strategy => strategySchema.parse(input);

describe('aggregation strategies against a direct computation', () => {
  it('FedAvg: global + Σ nᵢΔᵢ / Σ nᵢ', () => {
    const { weights, serverState } = aggregateRound(strategy({ name: 'fedavg' }), global, updates);
    expect(serverState).toBeNull();
    each((t, v) => expect(weights[t]!.data[v]).toBeCloseTo(global[t]!.data[v]! + directMean(t, v), 6));
  });

  it("FedProx: the server step is FedAvg (mu acts in the sites' loss)", () => {
    const fedavg = aggregateRound(strategy({ name: 'fedavg' }), global, updates).weights;
    const fedprox = aggregateRound(strategy({ name: 'fedprox', mu: 0.01 }), global, updates).weights;
    each((t, v) => expect(fedprox[t]!.data[v]).toBe(fedavg[t]!.data[v]));
  });

  it('FedBN: batch-norm tensors keep the global values; the rest are averaged', () => {
    const { weights } = aggregateRound(strategy({ name: 'fedbn' }), global, updates);
    each((t, v) => {
      const local = global[t]!.name.startsWith('bn/');
      const expected = global[t]!.data[v]! + (local ? 0 : directMean(t, v));
      expect(weights[t]!.data[v]).toBeCloseTo(expected, 6);
    });
    expect(isLocalTensor('batch_normalization_3/moving_variance:0', ['moving_variance'])).toBe(true);
    expect(isLocalTensor('dense/beta_kernel', ['beta'])).toBe(false);
  });

  it('FedAvgM: three server steps follow u ← βu + Δ, w ← w + ηu; running statistics are averaged plainly', () => {
    const settings = strategy({ name: 'fedavgm', serverLearningRate: 0.8, momentum: 0.7 });
    const scales = [1, -0.5, 2];
    let weights = global;
    let state = null as FedAvgMState | null;
    const velocity = global.map((t) => Array.from(t.data, () => 0));
    const expected = global.map((t) => Array.from(t.data));
    for (const scale of scales) {
      const scaled = updates.map((u) => ({
        ...u,
        delta: u.delta.map((d) => ({ ...d, data: d.data.map((x) => x * scale) })),
      }));
      const result = aggregateRound(settings, weights, scaled, state);
      weights = result.weights;
      state = result.serverState as FedAvgMState;
      each((t, v) => {
        const d = scale * directMean(t, v);
        if (global[t]!.name.endsWith('moving_mean')) expected[t]![v]! += d;
        else {
          velocity[t]![v] = 0.7 * velocity[t]![v]! + d;
          expected[t]![v]! += 0.8 * velocity[t]![v]!;
        }
        expect(weights[t]!.data[v]).toBeCloseTo(expected[t]![v]!, 5);
      });
    }
    expect(state!.step).toBe(3);
    // With no momentum and a step of 1 it is FedAvg.
    const plain = aggregateRound(strategy({ name: 'fedavgm', momentum: 0 }), global, updates).weights;
    const fedavg = aggregateRound(strategy({ name: 'fedavg' }), global, updates).weights;
    each((t, v) => expect(plain[t]!.data[v]).toBeCloseTo(fedavg[t]!.data[v]!, 6));
  });

  it('FedAdam: two server steps match Adam with bias correction written out', () => {
    const settings = {
      name: 'fedadam',
      serverLearningRate: 0.05,
      beta1: 0.9,
      beta2: 0.99,
      epsilon: 1e-3,
    } as const;
    const first = aggregateRound(strategy(settings), global, updates);
    const secondUpdates = updates.map((u) => ({
      ...u,
      delta: u.delta.map((d) => ({ ...d, data: d.data.map((x) => x * -0.5) })),
    }));
    const second = aggregateRound(strategy(settings), first.weights, secondUpdates, first.serverState);
    const state = second.serverState as FedAdamState;
    expect(state.step).toBe(2);
    each((t, v) => {
      const d1 = directMean(t, v);
      const d2 = -0.5 * d1;
      const m1 = 0.1 * d1;
      const v1 = 0.01 * d1 * d1;
      const w1 = global[t]!.data[v]! + (0.05 * (m1 / 0.1)) / (Math.sqrt(v1 / 0.01) + 1e-3);
      const m2 = 0.9 * m1 + 0.1 * d2;
      const v2 = 0.99 * v1 + 0.01 * d2 * d2;
      const w2 = w1 + (0.05 * (m2 / (1 - 0.9 ** 2))) / (Math.sqrt(v2 / (1 - 0.99 ** 2)) + 1e-3);
      expect(first.weights[t]!.data[v]).toBeCloseTo(w1, 5);
      expect(second.weights[t]!.data[v]).toBeCloseTo(w2, 5);
      expect(state.m[t]!.data[v]).toBeCloseTo(m2, 6);
    });
  });

  it("cyclic: applies the one visiting site's update, and refuses two", () => {
    const { weights } = aggregateRound(strategy({ name: 'cyclic' }), global, [updates[1]!]);
    each((t, v) =>
      expect(weights[t]!.data[v]).toBeCloseTo(global[t]!.data[v]! + updates[1]!.delta[t]!.data[v]!, 6),
    );
    expect(() => aggregateRound(strategy({ name: 'cyclic' }), global, updates.slice(0, 2))).toThrow(
      /one site's update/,
    );
  });

  it('does not depend on the order updates arrive in', () => {
    const forward = aggregateRound(strategy({ name: 'fedavg' }), global, updates).weights;
    const backward = aggregateRound(strategy({ name: 'fedavg' }), global, [...updates].reverse()).weights;
    each((t, v) => expect(backward[t]!.data[v]).toBe(forward[t]!.data[v]));
  });

  it('refuses updates of another shape, without examples, or none at all', () => {
    const wrong = [
      {
        ...updates[0]!,
        delta: [
          { name: 'conv/kernel', shape: [4], data: new Float32Array(4) },
          ...updates[0]!.delta.slice(1),
        ],
      },
    ];
    expect(() => aggregateRound(strategy({ name: 'fedavg' }), global, wrong)).toThrow(
      /shape \[4\].*\[2, 2\]/,
    );
    expect(() =>
      aggregateRound(strategy({ name: 'fedavg' }), global, [{ ...updates[0]!, examples: 0 }]),
    ).toThrow(FederationError);
    expect(() => aggregateRound(strategy({ name: 'fedavg' }), global, [])).toThrow(/without any update/);
  });
});

describe('WeightedDeltaSum.fromTotals (the seam for secure aggregation)', () => {
  it('gives the same result as adding the updates one by one', () => {
    const sums = global.map((tensor, t) =>
      Float64Array.from(tensor.data, (_, v) =>
        updates.reduce((s, u) => s + u.examples * u.delta[t]!.data[v]!, 0),
      ),
    );
    const fromTotals = WeightedDeltaSum.fromTotals(layoutOf(global), sums, 100, 3);
    const viaTotals = applyStrategy(strategy({ name: 'fedavg' }), global, fromTotals).weights;
    const direct = aggregateRound(strategy({ name: 'fedavg' }), global, updates).weights;
    each((t, v) => expect(viaTotals[t]!.data[v]).toBeCloseTo(direct[t]!.data[v]!, 6));
  });
});
