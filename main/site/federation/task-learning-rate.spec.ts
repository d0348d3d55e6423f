import { describe, expect, it } from 'vitest';
import { testTask } from '../../../hub/testing/test-hub.ts';
import { COSINE_FLOOR, taskDefinitionSchema } from '../../../shared/federation/index.ts';
import { learningRateAt } from '../train/index.ts';
import { roundLearningRate, taskSchedule } from './task-learning-rate.ts';

const task = (schedule: 'constant' | 'cosine', rounds: number, localEpochs = 1) => ({
  optimizer: { name: 'adam' as const, learningRate: 0.002, schedule },
  rounds,
  localEpochs,
});

describe("the sites' learning rate over the rounds", () => {
  it('stays at the task rate when constant', () => {
    for (const round of [1, 7, 20]) expect(roundLearningRate(task('constant', 20), round)).toBe(0.002);
  });

  it('decays by a cosine from the task rate towards the floor, round by round', () => {
    const rates = Array.from({ length: 10 }, (_, i) => roundLearningRate(task('cosine', 10), i + 1));
    expect(rates[0]).toBeCloseTo(0.002, 12);
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
    // Halfway through, half-way between the rate and the floor.
    expect(rates[5]).toBeCloseTo(0.002 * (COSINE_FLOOR + (1 - COSINE_FLOOR) / 2), 12);
    expect(rates[9]!).toBeGreaterThan(0.002 * COSINE_FLOOR);
    expect(rates[9]!).toBeLessThan(0.002 * 0.1);
    // Rounds past the planned last (a task extended) stay at the floor rather than rising again.
    expect(roundLearningRate(task('cosine', 10), 25)).toBeCloseTo(0.002 * COSINE_FLOOR, 12);
  });

  it('gives a round the rate a model trained alone has at that round’s first epoch', () => {
    const d = task('cosine', 12, 3);
    for (let round = 1; round <= 12; round++) {
      const alone = learningRateAt(0.002, taskSchedule(d), (round - 1) * 3, 36);
      expect(roundLearningRate(d, round)).toBeCloseTo(alone, 12);
    }
  });

  it('is constant unless the task asks for a schedule, and refuses unknown ones', () => {
    const plain = testTask({ optimizer: { name: 'adam', learningRate: 0.001 } });
    expect(taskDefinitionSchema.parse(plain).optimizer.schedule).toBe('constant');
    const cosine = { ...plain, optimizer: { ...plain.optimizer, schedule: 'cosine' } };
    expect(taskDefinitionSchema.parse(cosine).optimizer.schedule).toBe('cosine');
    const wrong = taskDefinitionSchema.safeParse({
      ...plain,
      optimizer: { ...plain.optimizer, schedule: 'warm' },
    });
    expect(wrong.success).toBe(false);
    expect(JSON.stringify(wrong.error?.issues[0]?.path)).toContain('schedule');
  });
});
