import { describe, expect, it } from 'vitest';
import { describeLastRounds, outsideTraining, sitesRate } from './demo-report.ts';
import { attachTestAuc } from './round-test-auc.ts';
import type { RoundFigures } from './round-tracker.ts';

const round = (seconds: number | null, trainSeconds: Record<string, number>): RoundFigures => ({
  round: 1,
  seconds,
  trainSeconds,
  bytesSent: {},
  learningRates: {},
  split: {},
  validation: null,
  version: 1,
  testAuc: null,
});

describe('time outside local training', () => {
  it('is the round less its slowest site’s training, over that training', () => {
    expect(outsideTraining(round(12, { A: 8, B: 10 }))).toBeCloseTo(0.2);
  });
  it('is unknown without a duration or without training figures', () => {
    expect(outsideTraining(round(null, { A: 8 }))).toBeNull();
    expect(outsideTraining(round(12, {}))).toBeNull();
  });
  it('never goes below zero when clocks round the other way', () => {
    expect(outsideTraining(round(9.9, { A: 10 }))).toBe(0);
  });
});

describe('the rounds table', () => {
  it("says the sites' learning rate once when they agree, each when they differ, n/a when none reported", () => {
    const agree = { ...round(1, {}), learningRates: { A: 0.000414, B: 0.000414 } };
    const differ = { ...round(1, {}), learningRates: { A: 0.002, B: 0.000414 } };
    expect(sitesRate(agree)).toBe('0.000414');
    expect(sitesRate(differ)).toBe('0.00200/0.000414');
    expect(sitesRate(round(1, {}))).toBe('n/a');
  });
  it("puts each published model's test AUC on the round that published it", () => {
    const rounds = [1, 2, 3].map((n) => ({ ...round(1, {}), round: n, version: n === 3 ? null : n }));
    attachTestAuc(rounds, [
      { version: 2, auc: 0.9, accuracy: 0.8, loss: 0.3 },
      { version: 1, auc: 0.6, accuracy: 0.5, loss: 0.7 },
    ]);
    expect(rounds.map((r) => r.testAuc)).toEqual([0.6, 0.9, null]);
  });
});

describe('the line on the last global models', () => {
  it('gives their mean and range and says not to judge a federation on the last model alone', () => {
    expect(describeLastRounds({ rounds: 10, meanAuc: 0.9412, minAuc: 0.93, maxAuc: 0.948 })).toBe(
      'Test AUC of the last 10 global models: mean 0.941 (0.930\u20130.948). The last model is one draw from ' +
        'that range: compare two federations on this mean, or over several seeds (--seed), not on the last model alone.',
    );
  });
  it('is left out with one model or no AUC', () => {
    expect(describeLastRounds({ rounds: 1, meanAuc: 0.9, minAuc: 0.9, maxAuc: 0.9 })).toBeNull();
    expect(describeLastRounds({ rounds: 10, meanAuc: null, minAuc: null, maxAuc: null })).toBeNull();
  });
});
