// Calibration finds the least noise that keeps a task within its budget; the noise-to-signal rule
// says when that noise leaves nothing of the signal at a site of N patients.
import { describe, expect, it } from 'vitest';
import {
  calibrateNoiseMultiplier,
  epsilonSpent,
  fewestPatientsFor,
  hopelessNoiseReason,
  NOISE_TO_SIGNAL_REFUSED,
  noiseToSignal,
  PrivacyError,
} from './index.ts';

describe('calibrateNoiseMultiplier', () => {
  const grid = [1, 3, 8].flatMap((epsilon) =>
    [0.01, 0.05, 0.2].flatMap((q) => [100, 2000, 20_000].map((steps) => ({ epsilon, q, steps }))),
  );

  it.each(grid)(
    'ε = $epsilon, q = $q, $steps steps: ε(σ) is within the budget and close to it',
    ({ epsilon, q, steps }) => {
      const budget = { epsilon, delta: 1e-5 };
      const sigma = calibrateNoiseMultiplier({ samplingRate: q, steps, budget });
      const at = (s: number) => epsilonSpent({ q, sigma: s }, steps, budget.delta).epsilon;
      expect(at(sigma)).toBeLessThanOrEqual(epsilon);
      // The least such σ, to its 4 significant digits: a little less noise is over the budget.
      expect(at(sigma * (1 - 2e-3))).toBeGreaterThan(epsilon);
      expect(String(sigma).replace(/^0\.0*|\./g, '').length).toBeLessThanOrEqual(4);
    },
  );

  it('refuses a budget not even the most noise a task may have can meet, saying what to change', () => {
    const hopeless = () =>
      calibrateNoiseMultiplier({
        samplingRate: 1,
        steps: 10_000_000,
        budget: { epsilon: 0.01, delta: 1e-9 },
      });
    expect(hopeless).toThrow(PrivacyError);
    expect(hopeless).toThrow(
      /Even the most noise a task may have \(σ = 1000\).*raise ε, or plan fewer rounds/,
    );
  });
});

describe('the noise-to-signal rule σ/(q·N)', () => {
  it('puts a large cohort in the small-cost band and a tiny one past the refusal line', () => {
    expect(noiseToSignal(1, 0.1, 5000)).toMatchObject({ expectedBatch: 500, cost: 'small' });
    expect(noiseToSignal(1, 0.1, 1000).cost).toBe('moderate'); // 0.01
    expect(noiseToSignal(1, 0.1, 300).cost).toBe('large'); // 0.033
    expect(noiseToSignal(1, 0.1, 100).cost).toBe('hopeless'); // 0.1
    expect(noiseToSignal(1, 0.1, 0).ratio).toBe(Infinity);
  });

  it('fewestPatientsFor is exactly where a site stops being refused', () => {
    for (const [sigma, q] of [
      [1, 0.1],
      [0.97, 0.05],
      [2.5, 0.2],
    ] as const) {
      const n = fewestPatientsFor(sigma, q);
      expect(sigma / (q * n)).toBeLessThanOrEqual(NOISE_TO_SIGNAL_REFUSED);
      expect(hopelessNoiseReason(sigma, q, n)).toBeNull();
      expect(hopelessNoiseReason(sigma, q, n - 1)).not.toBeNull();
    }
  });

  it('says why, in numbers, and what to change', () => {
    expect(hopelessNoiseReason(1, 0.1, 60)).toBe(
      'With 60 training patients here, a sampling rate q = 0.1 puts about 6.0 patients in each step, and the noise ' +
        '(σ = 1) on their averaged gradient is σ/(q·N) = 0.17 of the clipped signal, above the limit of 0.05: the model ' +
        'would learn nothing. It needs at least 200 training patients at this site, a higher sampling rate, or less noise ' +
        '(a larger ε budget, or fewer rounds or local epochs).',
    );
  });
});
