// The accountant against an independent implementation, on the settings patient-level DP-SGD uses
// (q 0.01–0.2, σ 0.6–3, 100–20 000 steps): testing/rdp_by_integration.py integrates the densities of
// the Poisson-subsampled Gaussian numerically (numpy) where rdp.ts sums the binomial expansion, and
// converts to ε with its own copy of the conversion. Both must agree at every order and in ε.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS, epsilonSpent, rdpPerStep } from './index.ts';

const SCRIPT = fileURLToPath(new URL('./testing/rdp_by_integration.py', import.meta.url));

const Q = [0.01, 0.05, 0.1, 0.2];
const SIGMA = [0.6, 1, 1.5, 3];
const STEPS = [100, 1000, 20_000];
const DELTA = [1e-5, 1e-7];

interface Integrated {
  rdp: { q: number; sigma: number; forward: number[]; reverse: number[] }[];
  epsilons: { epsilon: number; order: number }[];
}

function integrate(): {
  cases: { q: number; sigma: number; steps: number; delta: number }[];
  result: Integrated;
} {
  const mechanisms = Q.flatMap((q) => SIGMA.map((sigma) => ({ q, sigma })));
  const cases = mechanisms.flatMap((m) =>
    STEPS.flatMap((steps) => DELTA.map((delta) => ({ ...m, steps, delta }))),
  );
  const run = spawnSync('python3', [SCRIPT], {
    input: JSON.stringify({ orders: DEFAULT_ORDERS, mechanisms, cases }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`python3 ${SCRIPT} failed: ${run.stderr}`);
  return { cases, result: JSON.parse(run.stdout) as Integrated };
}

describe('the accountant against numerical integration (python3 + numpy)', () => {
  const { cases, result } = integrate();

  it('has the same RDP at every order, and the other direction of the divergence is never larger', () => {
    let compared = 0;
    for (const { q, sigma, forward, reverse } of result.rdp) {
      DEFAULT_ORDERS.forEach((alpha, i) => {
        const ours = rdpPerStep({ q, sigma }, alpha);
        const theirs = forward[i] as number;
        expect(Math.abs(ours - theirs), `q ${q}, σ ${sigma}, α ${alpha}`).toBeLessThanOrEqual(
          1e-7 * Math.max(1, Math.abs(theirs)),
        );
        // The accountant counts D_α(μ‖μ0); D_α(μ0‖μ) must not exceed it (Mironov et al. 2019).
        expect(reverse[i] as number).toBeLessThanOrEqual(theirs * (1 + 1e-7) + 1e-12);
        compared += 1;
      });
    }
    expect(compared).toBe(Q.length * SIGMA.length * DEFAULT_ORDERS.length);
  });

  it('gives the same ε over 100 to 20 000 steps at δ = 1e-5 and 1e-7', () => {
    cases.forEach((c, i) => {
      const theirs = result.epsilons[i]!;
      const ours = epsilonSpent({ q: c.q, sigma: c.sigma }, c.steps, c.delta);
      expect(Math.abs(ours.epsilon - theirs.epsilon), JSON.stringify(c)).toBeLessThanOrEqual(
        1e-6 * Math.max(1, theirs.epsilon),
      );
    });
    // The grid spans the budgets that matter: single-digit ε as well as hopeless ones.
    const epsilons = result.epsilons.map((e) => e.epsilon);
    expect(Math.min(...epsilons)).toBeLessThan(1);
    expect(epsilons.some((e) => e > 1 && e < 10)).toBe(true);
    expect(Math.max(...epsilons)).toBeGreaterThan(50);
  });
});
