// Robust aggregation: one outlying site moves the median, the trimmed mean and Krum far less than it
// moves the mean; Krum with too few updates says how many it needs.
import { describe, expect, it } from 'vitest';
import { aggregateRound } from './aggregation.ts';
import { FederationError } from './errors.ts';
import { taskDefinitionSchema } from './task-schema.ts';
import type { NamedTensor } from './tensors.ts';

const global: NamedTensor[] = [{ name: 'w', shape: [3], data: new Float32Array([0, 0, 0]) }];
const update = (siteId: string, values: number[]) => ({
  siteId,
  examples: 10,
  delta: [{ name: 'w', shape: [3], data: Float32Array.from(values) }],
});
const honest = [
  update('a', [1, 2, 3]),
  update('b', [1.1, 2.1, 2.9]),
  update('c', [0.9, 1.9, 3.1]),
  update('d', [1, 2, 3]),
];
const attacker = update('e', [100, -100, 100]);

describe('robust aggregation', () => {
  it('median and trimmed mean ignore one outlier', () => {
    const median = aggregateRound({ name: 'median' }, global, [...honest, attacker]).weights[0]!.data;
    expect(Array.from(median)).toEqual([1, 2, 3]);
    const trimmed = aggregateRound({ name: 'trimmed-mean', trimFraction: 0.2 }, global, [...honest, attacker])
      .weights[0]!.data;
    Array.from(trimmed).forEach((v, i) => expect(Math.abs(v - [1, 2, 3][i]!)).toBeLessThan(0.1));
  });

  it('Krum picks an update close to the others, never the outlier', () => {
    const krum = aggregateRound({ name: 'krum', byzantine: 1, select: 1 }, global, [...honest, attacker])
      .weights[0]!.data;
    Array.from(krum).forEach((v, i) => expect(Math.abs(v - [1, 2, 3][i]!)).toBeLessThan(0.15));
    expect(() =>
      aggregateRound({ name: 'krum', byzantine: 2, select: 1 }, global, honest.slice(0, 3)),
    ).toThrow(FederationError);
  });

  it('is offered only with secure aggregation off', () => {
    const task = {
      name: 't',
      model: { name: 'm' },
      input: { size: 16 },
      labels: ['a', 'b'],
      rounds: 1,
      localEpochs: 1,
      batchSize: 4,
      optimizer: { name: 'adam', learningRate: 0.001 },
      strategy: { name: 'median' },
      quorum: 3,
      roundDeadlineSeconds: 60,
    };
    expect(taskDefinitionSchema.safeParse(task).error?.issues[0]?.message).toMatch(
      /median strategy needs each site/,
    );
    expect(taskDefinitionSchema.safeParse({ ...task, privacy: { secureAggregation: false } }).success).toBe(
      true,
    );
  });
});
