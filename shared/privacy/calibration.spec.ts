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
import { modelValueCount } from '../federation/index.ts';

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

describe('the noise-to-signal rule ρ = σ√d/(q·N·√T)', () => {
  // The measured runs of docs/differential-privacy.md: resnet-small-gn at ε = 8, q = 0.2, 20 rounds of 5 steps.
  const measured = {
    modelValues: modelValueCount({
      model: { name: 'resnet-small-gn' },
      input: { channels: 1 },
      labels: ['absent', 'present'],
    } as Parameters<typeof modelValueCount>[0]) as number,
    steps: 100,
  };

  it('grows with the model, falls with patients and with the square root of the steps', () => {
    const shape = { modelValues: 10_000, steps: 100 };
    // σ√d/(q·N·√T) = 1·100/(0.1·N·10) = 100/N
    expect(noiseToSignal(1, 0.1, 5000, shape)).toMatchObject({ expectedBatch: 500, cost: 'small' }); // 0.02
    expect(noiseToSignal(1, 0.1, 500, shape).cost).toBe('moderate'); // 0.2
    expect(noiseToSignal(1, 0.1, 200, shape).cost).toBe('large'); // 0.5
    expect(noiseToSignal(1, 0.1, 100, shape).cost).toBe('large'); // exactly 1: the line itself is accepted
    expect(noiseToSignal(1, 0.1, 99, shape).cost).toBe('hopeless');
    expect(noiseToSignal(1, 0.1, 100, shape).ratio).toBeCloseTo(1, 12);
    expect(noiseToSignal(1, 0.1, 100, { modelValues: 40_000, steps: 100 }).ratio).toBeCloseTo(2, 12);
    expect(noiseToSignal(1, 0.1, 100, { modelValues: 10_000, steps: 400 }).ratio).toBeCloseTo(0.5, 12);
    expect(noiseToSignal(1, 0.1, 0, shape).ratio).toBe(Infinity);
  });

  it('refuses the measured runs that stayed at chance, the 187-patient one the old σ/(q·N) ≤ 0.05 accepted', () => {
    expect(measured.modelValues).toBe(304_466);
    const at = (patients: number) => noiseToSignal(1.557, 0.2, patients, measured);
    expect(1.557 / (0.2 * 187)).toBeLessThan(0.05); // the old rule's 0.042: accepted, and AUC 0.505
    expect(at(187).ratio).toBeCloseTo(2.3, 1);
    expect(at(91).ratio).toBeCloseTo(4.72, 2);
    expect(at(35).ratio).toBeCloseTo(12.27, 2);
    for (const patients of [187, 91, 35]) expect(at(patients).cost).toBe('hopeless');
    expect(fewestPatientsFor(1.557, 0.2, measured)).toBe(430);
  });

  it('fewestPatientsFor is exactly where a site stops being refused', () => {
    for (const [sigma, q, shape] of [
      [1, 0.1, { modelValues: 10_000, steps: 100 }],
      [0.97, 0.05, { modelValues: 97_410, steps: 400 }],
      [2.5, 0.2, measured],
    ] as const) {
      const n = fewestPatientsFor(sigma, q, shape);
      expect(noiseToSignal(sigma, q, n, shape).ratio).toBeLessThanOrEqual(NOISE_TO_SIGNAL_REFUSED);
      expect(hopelessNoiseReason(sigma, q, n, shape)).toBeNull();
      expect(hopelessNoiseReason(sigma, q, n - 1, shape)).not.toBeNull();
    }
  });

  it('refuses a shape without values or steps', () => {
    expect(() => noiseToSignal(1, 0.1, 10, { modelValues: 0, steps: 10 })).toThrow(PrivacyError);
  });

  it('says why, in numbers, and what to change', () => {
    expect(hopelessNoiseReason(1, 0.1, 60, { modelValues: 10_000, steps: 100 })).toBe(
      'With 60 training patients here, a sampling rate q = 0.1 puts about 6.0 patients in each step, and over the ' +
        "100 steps of training the noise (σ = 1, on each of the model's 10000 values) is ρ = σ√d/(q·N·√T) = 1.7 " +
        'times the signal, above the limit of 1: the model would learn nothing. It needs at least 100 training ' +
        'patients at this site, a larger ε budget, or a smaller model.',
    );
  });
});
