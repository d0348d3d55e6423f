// Budget helpers: how much ε a number of steps spends, and how many steps (or rounds) fit a budget.
// Composition adds RDP at each order, so the per-step RDP is computed once and scaled.
import { checkDelta, epsilonFromRdp, type EpsilonAtOrder } from './conversion.ts';
import { PrivacyError } from './privacy-error.ts';
import { DEFAULT_ORDERS, rdpPerStep, type SubsampledGaussian } from './rdp.ts';

export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

/** ε (at δ) after `steps` steps of the subsampled Gaussian mechanism, and the best order. */
export function epsilonSpent(
  mechanism: SubsampledGaussian,
  steps: number,
  delta: number,
  orders: readonly number[] = DEFAULT_ORDERS,
): EpsilonAtOrder {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new PrivacyError('bad-parameter', `The number of steps must be a whole number ≥ 0 (got ${steps}).`);
  }
  const perStep = orders.map((alpha) => rdpPerStep(mechanism, alpha));
  return epsilonFromRdp(
    orders,
    perStep.map((rdp) => steps * rdp),
    delta,
  );
}

/**
 * The most rounds of `stepsPerRound` steps each whose total stays within the budget (0 when not even
 * one fits; Infinity when nothing is spent, q = 0). ε grows with the steps, so a bisection finds it.
 */
export function roundsWithinBudget(
  mechanism: SubsampledGaussian,
  budget: PrivacyBudget,
  stepsPerRound = 1,
  orders: readonly number[] = DEFAULT_ORDERS,
): number {
  checkDelta(budget.delta);
  if (!Number.isFinite(budget.epsilon) || budget.epsilon <= 0) {
    throw new PrivacyError(
      'bad-parameter',
      `The ε budget must be a positive number (got ${budget.epsilon}).`,
    );
  }
  if (!Number.isInteger(stepsPerRound) || stepsPerRound < 1) {
    throw new PrivacyError(
      'bad-parameter',
      `Steps per round must be a whole number ≥ 1 (got ${stepsPerRound}).`,
    );
  }
  const perStep = orders.map((alpha) => rdpPerStep(mechanism, alpha));
  if (perStep.every((rdp) => rdp === 0)) return Infinity;
  const fits = (rounds: number) =>
    epsilonFromRdp(
      orders,
      perStep.map((rdp) => rounds * stepsPerRound * rdp),
      budget.delta,
    ).epsilon <= budget.epsilon;
  if (!fits(1)) return 0;
  let low = 1;
  let high = 2;
  while (fits(high)) {
    low = high;
    high *= 2;
    if (high > 2 ** 40) return low; // more rounds than any task can have
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low;
}
