// Rényi differential privacy (RDP, Mironov 2017) of the Poisson-subsampled Gaussian mechanism, for
// integer orders α (Mironov, Talwar & Zhang 2019, section 3.3):
//   A_α = Σ_{i=0..α} C(α,i) (1−q)^{α−i} q^i exp((i²−i)/(2σ²)),   RDP_α = log(A_α) / (α−1).
// Every term is kept as its logarithm and summed with log-sum-exp: exp((i²−i)/(2σ²)) overflows a
// double long before the orders we need (α = 256, σ = 0.5 gives exp(130560)).
import { PrivacyError } from './privacy-error.ts';

/**
 * Orders tried. Integer orders only (the closed-form sum above); the minimum over any set of orders is
 * a valid bound, and a fine grid at small orders matters most for the budgets medical tasks use.
 */
export const DEFAULT_ORDERS: readonly number[] = [
  ...Array.from({ length: 127 }, (_, i) => i + 2),
  160,
  192,
  256,
  320,
  384,
  512,
  768,
  1024,
];

export interface SubsampledGaussian {
  /** Probability that any one record (or site) takes part in a step, 0 ≤ q ≤ 1. */
  readonly q: number;
  /** Noise standard deviation divided by the sensitivity (the clipping norm), σ > 0. */
  readonly sigma: number;
}

export function checkMechanism({ q, sigma }: SubsampledGaussian): void {
  if (!Number.isFinite(q) || q < 0 || q > 1) {
    throw new PrivacyError('bad-parameter', `The sampling rate q must be between 0 and 1 (got ${q}).`);
  }
  if (!Number.isFinite(sigma) || sigma <= 0) {
    throw new PrivacyError(
      'bad-parameter',
      `The noise multiplier σ must be a positive number (got ${sigma}); without noise there is no privacy guarantee.`,
    );
  }
}

function checkOrder(alpha: number): void {
  if (!Number.isInteger(alpha) || alpha < 2) {
    throw new PrivacyError('bad-parameter', `RDP orders must be integers of at least 2 (got ${alpha}).`);
  }
}

/** log(Σ exp(x_i)), without overflow. */
export function logSumExp(logs: readonly number[]): number {
  let max = -Infinity;
  for (const x of logs) if (x > max) max = x;
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (const x of logs) sum += Math.exp(x - max);
  return max + Math.log(sum);
}

/** log A_α of the formula above, for integer α ≥ 2 and 0 < q < 1. */
function logA(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const terms: number[] = [];
  let logBinomial = 0; // log C(α, 0)
  for (let i = 0; i <= alpha; i += 1) {
    if (i > 0) logBinomial += Math.log(alpha - i + 1) - Math.log(i);
    terms.push(logBinomial + (alpha - i) * log1mQ + i * logQ + (i * i - i) / (2 * sigma * sigma));
  }
  return logSumExp(terms);
}

/** RDP of one step of the subsampled Gaussian mechanism at order α. */
export function rdpPerStep(mechanism: SubsampledGaussian, alpha: number): number {
  checkMechanism(mechanism);
  checkOrder(alpha);
  const { q, sigma } = mechanism;
  if (q === 0) return 0;
  // Without subsampling it is the plain Gaussian mechanism: α / (2σ²).
  if (q === 1) return alpha / (2 * sigma * sigma);
  // A_α ≥ 1 mathematically; rounding may leave a hair below, which would read as negative privacy loss.
  return Math.max(0, logA(q, sigma, alpha) / (alpha - 1));
}

/** RDP of `steps` composed steps at each order (composition adds RDP at a fixed order). */
export function rdpAfter(
  mechanism: SubsampledGaussian,
  steps: number,
  orders: readonly number[] = DEFAULT_ORDERS,
): number[] {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new PrivacyError('bad-parameter', `The number of steps must be a whole number ≥ 0 (got ${steps}).`);
  }
  return orders.map((alpha) => steps * rdpPerStep(mechanism, alpha));
}
