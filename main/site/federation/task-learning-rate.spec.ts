import { describe, expect, it } from 'vitest';
import { testTask } from '../../../hub/testing/test-hub.ts';
import { COSINE_FLOOR, FINAL_DECAY_SHARE, taskDefinitionSchema } from '../../../shared/federation/index.ts';
import { learningRateAt } from '../train/index.ts';
import { roundLearningRate, taskSchedule } from './task-learning-rate.ts';

const task = (schedule: 'constant' | 'cosine' | 'final-decay', rounds: number, localEpochs = 1) => ({
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

  it('with final-decay, keeps the task rate for the first rounds and lowers it over the last quarter only', () => {
    expect(FINAL_DECAY_SHARE).toBe(0.25);
    const rates = Array.from({ length: 60 }, (_, i) => roundLearningRate(task('final-decay', 60), i + 1));
    // Rounds 1–46 start at or before 45 of 60 epochs: the task rate, as with a constant schedule.
    for (const rate of rates.slice(0, 46)) expect(rate).toBe(0.002);
    // Then lower round by round, half-way between the rate and the floor at 52.5 epochs (round 54 starts
    // at 53), and near the floor by the last.
    for (let i = 46; i < 60; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
    const half = 0.002 * (COSINE_FLOOR + (1 - COSINE_FLOOR) / 2);
    expect(rates[52]!).toBeGreaterThan(half);
    expect(rates[53]!).toBeLessThan(half);
    expect(rates[59]!).toBeGreaterThan(0.002 * COSINE_FLOOR);
    expect(rates[59]!).toBeLessThan(0.002 * 0.07);
    // Rounds past the planned last stay at the floor.
    expect(roundLearningRate(task('final-decay', 60), 70)).toBeCloseTo(0.002 * COSINE_FLOOR, 12);
  });

  it('gives a round the rate a model trained alone has at that round’s first epoch', () => {
    for (const schedule of ['cosine', 'final-decay'] as const) {
      const d = task(schedule, 12, 3);
      for (let round = 1; round <= 12; round++) {
        const alone = learningRateAt(0.002, taskSchedule(d), (round - 1) * 3, 36);
        expect(roundLearningRate(d, round)).toBeCloseTo(alone, 12);
      }
    }
  });

  it('is constant unless the task asks for a schedule, and refuses unknown ones', () => {
    const plain = testTask({ optimizer: { name: 'adam', learningRate: 0.001 } });
    expect(taskDefinitionSchema.parse(plain).optimizer.schedule).toBe('constant');
    const cosine = { ...plain, optimizer: { ...plain.optimizer, schedule: 'cosine' } };
    expect(taskDefinitionSchema.parse(cosine).optimizer.schedule).toBe('cosine');
    const finalDecay = { ...plain, optimizer: { ...plain.optimizer, schedule: 'final-decay' } };
    expect(taskDefinitionSchema.parse(finalDecay).optimizer.schedule).toBe('final-decay');
    const wrong = taskDefinitionSchema.safeParse({
      ...plain,
      optimizer: { ...plain.optimizer, schedule: 'warm' },
    });
    expect(wrong.success).toBe(false);
    expect(JSON.stringify(wrong.error?.issues[0]?.path)).toContain('schedule');
  });
});
