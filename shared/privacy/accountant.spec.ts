import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ORDERS,
  epsilonAtOrder,
  epsilonFromRdp,
  epsilonSpent,
  PrivacyError,
  rdpAfter,
  rdpPerStep,
  roundsWithinBudget,
} from './index.ts';

/**
 * An independent computation of A_α: the Rényi divergence of the mixture (1−q)N(0,σ²) + qN(1,σ²)
 * from N(0,σ²) at order α is log E_{x~N(0,σ²)}[(1 − q + q·exp((2x − 1)/(2σ²)))^α] / (α − 1).
 * Integrated here with Simpson's rule on a wide grid, no binomial sum involved.
 */
function rdpByIntegration(q: number, sigma: number, alpha: number): number {
  const from = -30 * sigma;
  const to = 30 * sigma + 1;
  const n = 200_000;
  const h = (to - from) / n;
  const f = (x: number) => {
    const gauss = Math.exp((-x * x) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
    return gauss * (1 - q + q * Math.exp((2 * x - 1) / (2 * sigma * sigma))) ** alpha;
  };
  let sum = f(from) + f(to);
  for (let i = 1; i < n; i += 1) sum += (i % 2 === 1 ? 4 : 2) * f(from + i * h);
  return Math.log((sum * h) / 3) / (alpha - 1);
}

describe('RDP accountant for the subsampled Gaussian mechanism', () => {
  it('reproduces the published DP-SGD figure: n = 60000, batch 150, σ = 1.3, 15 epochs, δ = 1e-5 → ε ≈ 0.724 at order 19', () => {
    const q = 150 / 60_000;
    const steps = 15 * (60_000 / 150);
    const result = epsilonSpent({ q, sigma: 1.3 }, steps, 1e-5);
    expect(result.epsilon).toBeCloseTo(0.724, 3);
    expect(result.order).toBe(19);
  });

  it('equals the closed form α/(2σ²) without subsampling, and the binomial sum tends to it as q → 1', () => {
    for (const sigma of [0.5, 1, 4]) {
      for (const alpha of [2, 7, 64]) {
        expect(rdpPerStep({ q: 1, sigma }, alpha)).toBe(alpha / (2 * sigma * sigma));
        expect(rdpPerStep({ q: 1 - 1e-12, sigma }, alpha)).toBeCloseTo(alpha / (2 * sigma * sigma), 6);
      }
    }
  });

  it('matches the exact order-2 value log(1 + q²(e^{1/σ²} − 1))', () => {
    for (const [q, sigma] of [
      [0.01, 1],
      [0.3, 0.7],
      [0.9, 3],
    ] as const) {
      expect(rdpPerStep({ q, sigma }, 2)).toBeCloseTo(
        Math.log1p(q * q * Math.expm1(1 / (sigma * sigma))),
        12,
      );
    }
  });

  it('agrees with a brute-force numerical integration of the Rényi divergence on small cases', () => {
    for (const [q, sigma, alpha] of [
      [0.1, 1, 2],
      [0.1, 1, 5],
      [0.05, 0.8, 8],
      [0.5, 2, 6],
      [0.02, 1.5, 12],
    ] as const) {
      const byIntegration = rdpByIntegration(q, sigma, alpha);
      const bySum = rdpPerStep({ q, sigma }, alpha);
      expect(Math.abs(bySum - byIntegration) / byIntegration).toBeLessThan(1e-6);
    }
  });

  it('stays finite where exp() of a single term would overflow (σ = 0.3, α = 1024)', () => {
    const rdp = rdpPerStep({ q: 0.01, sigma: 0.3 }, 1024);
    expect(Number.isFinite(rdp)).toBe(true);
    expect(rdp).toBeGreaterThan(0);
    // Never more than without subsampling.
    expect(rdp).toBeLessThanOrEqual(1024 / (2 * 0.3 * 0.3));
    const all = rdpAfter({ q: 0.001, sigma: 0.6 }, 10_000);
    expect(all.every((value) => Number.isFinite(value) && value >= 0)).toBe(true);
  });

  it('spends more with more steps and less with more noise', () => {
    const mechanism = { q: 0.01, sigma: 1 };
    const e100 = epsilonSpent(mechanism, 100, 1e-5).epsilon;
    const e1000 = epsilonSpent(mechanism, 1000, 1e-5).epsilon;
    const noisier = epsilonSpent({ ...mechanism, sigma: 2 }, 1000, 1e-5).epsilon;
    expect(e1000).toBeGreaterThan(e100);
    expect(noisier).toBeLessThan(e1000);
    expect(epsilonSpent(mechanism, 0, 1e-5).epsilon).toBe(0);
  });

  it('gives a tighter ε than the original conversion RDP + log(1/δ)/(α−1)', () => {
    const orders = DEFAULT_ORDERS;
    const rdp = rdpAfter({ q: 0.02, sigma: 1.1 }, 500, orders);
    const classic = Math.min(...orders.map((alpha, i) => (rdp[i] as number) + Math.log(1e5) / (alpha - 1)));
    const best = epsilonFromRdp(orders, rdp, 1e-5);
    expect(best.epsilon).toBeLessThan(classic);
    expect(best.epsilon).toBe(epsilonAtOrder(rdp[orders.indexOf(best.order)] as number, best.order, 1e-5));
  });

  it('finds the most rounds that fit a budget: one more round would exceed it', () => {
    const mechanism = { q: 1, sigma: 4 };
    const budget = { epsilon: 3, delta: 1e-5 };
    const rounds = roundsWithinBudget(mechanism, budget);
    expect(rounds).toBeGreaterThan(0);
    expect(epsilonSpent(mechanism, rounds, 1e-5).epsilon).toBeLessThanOrEqual(3);
    expect(epsilonSpent(mechanism, rounds + 1, 1e-5).epsilon).toBeGreaterThan(3);
    const stepsPerRound = 50;
    const sampled = { q: 0.01, sigma: 1 };
    const r = roundsWithinBudget(sampled, budget, stepsPerRound);
    expect(epsilonSpent(sampled, r * stepsPerRound, 1e-5).epsilon).toBeLessThanOrEqual(3);
    expect(epsilonSpent(sampled, (r + 1) * stepsPerRound, 1e-5).epsilon).toBeGreaterThan(3);
    expect(roundsWithinBudget({ q: 1, sigma: 0.1 }, { epsilon: 0.5, delta: 1e-5 })).toBe(0);
    expect(roundsWithinBudget({ q: 0, sigma: 1 }, budget)).toBe(Infinity);
  });

  it('refuses parameters that make no sense, with a reason', () => {
    expect(() => rdpPerStep({ q: 1.5, sigma: 1 }, 2)).toThrow(PrivacyError);
    expect(() => rdpPerStep({ q: 0.1, sigma: 0 }, 2)).toThrow(/noise multiplier/);
    expect(() => rdpPerStep({ q: 0.1, sigma: 1 }, 1.5)).toThrow(/integers/);
    expect(() => epsilonSpent({ q: 0.1, sigma: 1 }, 10, 0)).toThrow(/δ must be between 0 and 1/);
    expect(() => epsilonSpent({ q: 0.1, sigma: 1 }, -1, 1e-5)).toThrow(/steps/);
    expect(() => roundsWithinBudget({ q: 0.1, sigma: 1 }, { epsilon: -1, delta: 1e-5 })).toThrow(/budget/);
  });
});
