import { describe, expect, it } from 'vitest';
import { outsideTraining } from './demo-report.ts';
import type { RoundFigures } from './round-tracker.ts';

const round = (seconds: number | null, trainSeconds: Record<string, number>): RoundFigures => ({
  round: 1,
  seconds,
  trainSeconds,
  bytesSent: {},
  split: {},
  validation: null,
  version: 1,
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
