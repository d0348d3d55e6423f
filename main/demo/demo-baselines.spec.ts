import { describe, expect, it } from 'vitest';
import { roundLearningRate } from '../../shared/federation/index.ts';
import { learningRateAt } from '../site/train/index.ts';
import { baselineSchedule } from './demo-baselines.ts';

describe('the local-only and pooled baselines', () => {
  it('train with the learning rate the federation uses, epoch for round', () => {
    for (const schedule of ['constant', 'cosine'] as const) {
      const optimizer = { learningRate: 0.002, schedule };
      const rounds = 12;
      const localEpochs = 3;
      for (let round = 1; round <= rounds; round++) {
        const firstEpoch = (round - 1) * localEpochs;
        const alone = learningRateAt(
          0.002,
          baselineSchedule({ optimizer: { ...optimizer, name: 'adam' } }),
          firstEpoch,
          rounds * localEpochs,
        );
        expect(alone, `${schedule}, round ${round}`).toBeCloseTo(
          roundLearningRate(optimizer, round, rounds),
          12,
        );
      }
    }
  });
});
