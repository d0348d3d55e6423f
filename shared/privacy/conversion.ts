// From RDP to (ε, δ)-differential privacy. The conversion of Balle et al. 2020 (Theorem 21), also used
// by Google's dp_accounting and Opacus:
//   ε(δ) = min_α [ RDP_α + log((α−1)/α) − (log δ + log α)/(α−1) ],
// which is tighter than Mironov's original RDP_α + log(1/δ)/(α−1).
import { PrivacyError } from './privacy-error.ts';

export interface EpsilonAtOrder {
  /** The ε of the (ε, δ) guarantee: the smallest over the orders tried. */
  readonly epsilon: number;
  /** The RDP order that gave it (when it is the first or last order tried, try a wider list). */
  readonly order: number;
}

export function checkDelta(delta: number): void {
  if (!Number.isFinite(delta) || delta <= 0 || delta >= 1) {
    throw new PrivacyError(
      'bad-parameter',
      `δ must be between 0 and 1, exclusive (got ${delta}); use something below 1 / (number of records), e.g. 1e-5.`,
    );
  }
}

/** ε at one order, from the RDP at that order. */
export function epsilonAtOrder(rdp: number, alpha: number, delta: number): number {
  if (rdp === Infinity) return Infinity;
  const epsilon = rdp + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
  return Math.max(0, epsilon);
}

/** The best (smallest) ε over the orders, and the order that gave it. */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
): EpsilonAtOrder {
  checkDelta(delta);
  if (orders.length === 0 || orders.length !== rdp.length) {
    throw new PrivacyError('bad-parameter', 'Give one RDP value per order, and at least one order.');
  }
  // Nothing spent (no steps, or q = 0): the conversion's slack term would otherwise report a small ε > 0.
  if (rdp.every((value) => value === 0)) return { epsilon: 0, order: orders[0] as number };
  let best: EpsilonAtOrder = { epsilon: Infinity, order: orders[0] as number };
  orders.forEach((alpha, index) => {
    const epsilon = epsilonAtOrder(rdp[index] as number, alpha, delta);
    if (epsilon < best.epsilon) best = { epsilon, order: alpha };
  });
  return best;
}
