// Issue 16 in swarm rounds: the leader planned SecAgg+ with clipRange alone, so members clipped batch
// norm's running statistics (which move by tens a round) to ±0.5 and the committed model lost them. The
// plan now carries the statistics' own range (the task's, or the hub tasks' default ±64): over real
// loopback sockets with mutual TLS, a statistics move of 20 comes back as the exact mean, within its step.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWeights, isRunningStatistic, type NamedTensor } from '../../../shared/federation/index.ts';
import { swarmTaskSchema } from './swarm-task.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import { noduleTask } from './testing/nodule-task.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';

const CHANNELS = 16;
const layout = (
  fill: (i: number) => number,
  weight: (i: number) => number,
  variance: number,
): NamedTensor[] => [
  {
    name: 'dense/kernel',
    shape: [CHANNELS],
    data: Float32Array.from({ length: CHANNELS }, (_, i) => weight(i)),
  },
  {
    name: 'bn/moving_mean',
    shape: [CHANNELS],
    data: Float32Array.from({ length: CHANNELS }, (_, i) => fill(i)),
  },
  { name: 'bn/moving_variance', shape: [CHANNELS], data: new Float32Array(CHANNELS).fill(variance) },
];

let bed: PeerTestBed | null = null;
const rounds: SwarmRounds[] = [];
afterEach(async () => {
  for (const r of rounds.splice(0)) r.stop();
  await bed?.close();
  bed = null;
});

describe('running statistics in swarm rounds', () => {
  it('the task format takes statisticsClipRange, and a task without it keeps its hash-relevant shape', () => {
    const base = { name: 't', initialModel: '0'.repeat(64), rounds: 1, leaderTimeoutMs: 1000 };
    const named = swarmTaskSchema.parse({
      ...base,
      secureAggregation: { clipRange: 0.5, statisticsClipRange: 32, bits: 16 },
    });
    expect(named.secureAggregation.statisticsClipRange).toBe(32);
    const older = swarmTaskSchema.parse({ ...base, secureAggregation: { clipRange: 0.5, bits: 16 } });
    expect('statisticsClipRange' in older.secureAggregation).toBe(false);
  });

  it('a statistics move of 20 comes back as the exact mean within the statistics step (default ±64)', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const initialWeights = layout(
      () => 0,
      () => 0,
      1,
    );
    // The product's defaults for weights: ±0.5 at 16 bits; the task names no statistics range.
    const { initial, task } = noduleTask(
      { rounds: 1, leaderTimeoutMs: 20_000, secureAggregation: { clipRange: 0.5, bits: 16 } },
      encodeWeights(initialWeights),
    );
    const deltas = nodes.map((_, m) =>
      layout(
        (i) => 20 * Math.sin(m * 13 + i * 0.7),
        (i) => 0.1 * Math.cos(m * 5 + i),
        20,
      ),
    );
    nodes.forEach((node, index) =>
      rounds.push(
        new SwarmRounds(node, {
          task,
          initialModel: initial,
          train: () => Promise.resolve({ delta: deltas[index]!, examples: 30 }),
        }),
      ),
    );
    await rounds[0]!.startRound();
    await Promise.all(rounds.map((r) => r.waitForRound(1, 60_000)));
    const model = (await rounds[0]!.globalModel()).weights;
    for (const [t, tensor] of model.entries()) {
      const step = (2 * (isRunningStatistic(tensor.name) ? 64 : 0.5)) / (2 ** 16 - 1);
      let worst = 0;
      for (let i = 0; i < CHANNELS; i++) {
        const start = initialWeights[t]!.data[i]!;
        const exact = start + deltas.reduce((sum, d) => sum + d[t]!.data[i]!, 0) / deltas.length;
        worst = Math.max(worst, Math.abs(tensor.data[i]! - exact));
      }
      expect(worst, tensor.name).toBeLessThanOrEqual(step);
    }
  });
});
