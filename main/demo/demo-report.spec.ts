import { describe, expect, it } from 'vitest';
import { outsideTraining, sitesRate } from './demo-report.ts';
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
