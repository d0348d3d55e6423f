// Differential privacy in swarm rounds: each member clips its update and adds its share of the noise
// before masking, so the sum the elected leader unmasks carries the full N(0, (zC)²); the aggregate
// entries record the swarm's ε from the shared RDP accountant, and each member's own spending is read
// from the participants its ledger names; a member whose next round would pass the budget stops.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWeights, privacySpentAfter, type NamedTensor } from '../../../shared/federation/index.ts';
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import { cryptoGaussian } from '../../../shared/node/privacy/index.ts';
import type { LeaderAggregation } from './round-secagg-leader.ts';
import {
  assertMemberBudgetAllows,
  memberPrivacySpent,
  noiseSwarmUpdate,
  swarmDpSettings,
} from './swarm-privacy.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import type { SwarmTask } from './swarm-task.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';

const VALUES = 20_000;
const layout = (fill: number): NamedTensor[] => [
  { name: 'w', shape: [VALUES], data: new Float32Array(VALUES).fill(fill) },
];
const norm = (weights: readonly NamedTensor[]) =>
  Math.sqrt(weights.reduce((sum, t) => sum + t.data.reduce((s, v) => s + v * v, 0), 0));
const std = (values: ArrayLike<number>) => {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    squares += values[i]! ** 2;
  }
  const mean = sum / values.length;
  return Math.sqrt(squares / values.length - mean * mean);
};

function dpTask(initial: Uint8Array, epsilon: number): SwarmTask {
  return {
    name: 'private swarm',
    initialModel: sha256Hex(initial),
    rounds: 3,
    // Each member's noise (std 0.58) stays well inside the quantisation range.
    secureAggregation: { clipRange: 4, bits: 16 },
    leaderTimeoutMs: 20_000,
    differentialPrivacy: {
      clipNorm: 1,
      noiseMultiplier: 1,
      budget: { epsilon, delta: 1e-5 },
      minimumParticipants: 3,
    },
  };
}

let bed: PeerTestBed | null = null;
const rounds: SwarmRounds[] = [];
afterEach(async () => {
  for (const r of rounds.splice(0)) r.stop();
  await bed?.close();
  bed = null;
});

describe('differential privacy in swarm rounds', () => {
  it("clips a member's update to C and adds its share zC/√m of the noise", () => {
    const task = dpTask(new Uint8Array(1), 50);
    const big = layout(1); // norm √20000 ≈ 141
    const clipped = noiseSwarmUpdate(big, task, (n) => new Float64Array(n));
    expect(clipped.norm).toBeCloseTo(Math.sqrt(VALUES), 3);
    expect(norm(clipped.delta)).toBeLessThanOrEqual(1);
    expect(norm(clipped.delta)).toBeGreaterThan(0.999);
    const noised = noiseSwarmUpdate(layout(0), task, cryptoGaussian);
    expect(noised.noiseStd).toBeCloseTo(1 / Math.sqrt(3), 9);
    // 20 000 draws: the sample std is within 1% of the true one to about 5 standard errors.
    expect(std(noised.delta[0]!.data) / noised.noiseStd).toBeGreaterThan(0.95);
    expect(std(noised.delta[0]!.data) / noised.noiseStd).toBeLessThan(1.05);
    // Without DP settings the update is left as it is.
    const { differentialPrivacy: _, ...plain } = task;
    expect(noiseSwarmUpdate(big, plain).delta[0]!.data[0]).toBe(1);
  });

  it("the leader's sum carries the full noise; the ledger records the accountant's ε; a spent member stops", async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const initial = encodeWeights(layout(0));
    const draft = dpTask(initial, 50);
    const settings = swarmDpSettings(draft)!;
    const epsilonAt = (r: number) => privacySpentAfter(settings, r).epsilon;
    // A budget that allows two rounds and not a third.
    const task = dpTask(initial, (epsilonAt(2) + epsilonAt(3)) / 2);
    const seen: LeaderAggregation[] = [];
    for (const node of nodes)
      rounds.push(
        new SwarmRounds(node, {
          task,
          initialModel: initial,
          // Every member changes nothing: what the leader unmasks is the members' noise alone.
          train: () => Promise.resolve({ delta: layout(0), examples: 40 }),
          onLeaderSaw: (_round, aggregation) => seen.push(aggregation),
        }),
      );
    for (const round of [1, 2]) {
      await rounds[round - 1]!.startRound();
      await Promise.all(rounds.map((r) => r.waitForRound(round, 60_000)));
    }
    // Three shares of N(0, (zC)²/3) add up to N(0, (zC)²) = N(0, 1) in each value of the sum.
    const sum = seen[0]!.sum;
    expect(sum.updates).toBe(3);
    expect(sum.examples).toBe(3); // weight 1 each under DP: one member moves the sum by at most C
    const sumValues = sum.mean()[0]!.data.map((v) => v * sum.examples);
    expect(std(sumValues)).toBeGreaterThan(0.95);
    expect(std(sumValues)).toBeLessThan(1.05);
    const aggregates = nodes[0]!.ledger
      .entries(0, 100)
      .flatMap((s) => (s.entry.body.kind === 'aggregate-commit' ? [s.entry.body] : []));
    expect(aggregates.map((a) => a.epsilonSpent)).toEqual([epsilonAt(1), epsilonAt(2)]);
    expect(epsilonAt(1)).toBeGreaterThan(0);
    for (const node of nodes) {
      const spent = memberPrivacySpent(task, node.ledger.entries(0, 100), node.id);
      expect(spent).toEqual({ rounds: 2, epsilon: epsilonAt(2) });
      expect(() => assertMemberBudgetAllows(task, spent.rounds)).toThrow(/spent its privacy budget/);
    }
    expect(() => assertMemberBudgetAllows(task, 1)).not.toThrow();
  });
});
