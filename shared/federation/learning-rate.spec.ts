import { describe, expect, it } from 'vitest';
import { COSINE_FLOOR, roundLearningRate } from './learning-rate.ts';
import { taskDefinitionSchema } from './task-schema.ts';

describe("the sites' learning rate over the rounds", () => {
  it('stays at the task rate when constant', () => {
    const optimizer = { learningRate: 0.002, schedule: 'constant' as const };
    for (const round of [1, 7, 20]) expect(roundLearningRate(optimizer, round, 20)).toBe(0.002);
  });

  it('decays by a cosine from the task rate towards the floor, round by round', () => {
    const optimizer = { learningRate: 0.002, schedule: 'cosine' as const };
    const rates = Array.from({ length: 10 }, (_, i) => roundLearningRate(optimizer, i + 1, 10));
    expect(rates[0]).toBeCloseTo(0.002, 12);
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
    // Halfway through, half-way between the rate and the floor.
    expect(rates[5]).toBeCloseTo(0.002 * (COSINE_FLOOR + (1 - COSINE_FLOOR) / 2), 12);
    expect(rates[9]!).toBeGreaterThan(0.002 * COSINE_FLOOR);
    expect(rates[9]!).toBeLessThan(0.002 * 0.1);
    // Rounds past the planned last (a task extended) stay at the floor rather than rising again.
    expect(roundLearningRate(optimizer, 25, 10)).toBeCloseTo(0.002 * COSINE_FLOOR, 12);
  });

  it('is constant unless the task asks for a schedule, and refuses unknown ones', () => {
    const task = {
      name: 't',
      model: { name: 'resnet-small' },
      input: { size: 32 },
      labels: ['a', 'b'],
      rounds: 2,
      localEpochs: 1,
      batchSize: 4,
      optimizer: { name: 'adam', learningRate: 0.001 },
      strategy: { name: 'fedavg' },
      quorum: 1,
      roundDeadlineSeconds: 60,
      privacy: { secureAggregation: { enabled: false } },
    };
    expect(taskDefinitionSchema.parse(task).optimizer.schedule).toBe('constant');
    const cosine = { ...task, optimizer: { ...task.optimizer, schedule: 'cosine' } };
    expect(taskDefinitionSchema.parse(cosine).optimizer.schedule).toBe('cosine');
    const wrong = taskDefinitionSchema.safeParse({
      ...task,
      optimizer: { ...task.optimizer, schedule: 'warm' },
    });
    expect(wrong.success).toBe(false);
    expect(JSON.stringify(wrong.error?.issues[0]?.path)).toContain('schedule');
  });
});
