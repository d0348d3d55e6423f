// The stated model behind the site-level DP-FedAvg curve: the noise multiplier is the accountant's
// for rounds of the unsampled Gaussian, and ρ falls as 1/K with the hospitals.
import { describe, expect, it } from 'vitest';
import { epsilonSpent } from '../../shared/privacy/index.ts';
import { siteLevelNoiseMultiplier, siteLevelNoiseToSignal } from './dp-curve-site-level.ts';

describe('site-level DP-FedAvg curve model', () => {
  it('calibrates z so that R unsampled Gaussian rounds spend the budget (2.854 at ε = 8, 20 rounds, as the docs state)', () => {
    const z = siteLevelNoiseMultiplier(8, 1e-5, 20);
    expect(z).toBeCloseTo(2.854, 2);
    const spent = epsilonSpent({ q: 1, sigma: z }, 20, 1e-5).epsilon;
    expect(spent).toBeLessThanOrEqual(8);
    expect(spent).toBeGreaterThan(7.99);
  });

  it('reads ρ = z√d/(K√R): ten times the hospitals, a tenth of the noise over the signal', () => {
    expect(siteLevelNoiseToSignal(2, 400, 10, 4)).toBeCloseTo(2, 12);
    expect(siteLevelNoiseToSignal(2, 400, 100, 4)).toBeCloseTo(0.2, 12);
  });
});
