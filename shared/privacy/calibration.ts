// Calibration: the smallest noise multiplier σ whose ε after all of a task's steps stays within its
// budget, by bisection on the accountant (ε falls as σ grows, for fixed q and steps). Patient-level
// DP tasks may leave σ out; the hub calibrates it at task creation and stores it in the definition.
import type { PrivacyBudget } from './budget.ts';
import { epsilonSpent } from './budget.ts';
import { checkDelta } from './conversion.ts';
import { PrivacyError } from './privacy-error.ts';

/** The most noise a task may ask for (the task schema's cap on noiseMultiplier). */
export const MAX_NOISE_MULTIPLIER = 1000;
/** The least σ calibration returns; below it ε explodes for any realistic number of steps anyway. */
export const MIN_NOISE_MULTIPLIER = 0.05;

export interface CalibrationInput {
  /** q: each record's chance to be in a step's batch. */
  readonly samplingRate: number;
  /** Steps over the whole task (rounds × steps per round). */
  readonly steps: number;
  readonly budget: PrivacyBudget;
}

/** ε of the whole task at σ. */
function epsilonAt(input: CalibrationInput, sigma: number): number {
  return epsilonSpent({ q: input.samplingRate, sigma }, input.steps, input.budget.delta).epsilon;
}

/** Rounds σ up to 4 significant digits (a readable number; rounding up only lowers ε). */
function roundUp(sigma: number): number {
  const scale = 10 ** (Math.floor(Math.log10(sigma)) - 3);
  return Number((Math.ceil(sigma / scale) * scale).toPrecision(4));
}

/**
 * The smallest σ (to 4 significant digits) with ε(σ) ≤ the budget's ε after `steps` steps. Throws
 * PrivacyError 'budget-exceeded' when not even σ = MAX_NOISE_MULTIPLIER fits.
 */
export function calibrateNoiseMultiplier(input: CalibrationInput): number {
  const { samplingRate: q, steps, budget } = input;
  checkDelta(budget.delta);
  if (!Number.isFinite(q) || q <= 0 || q > 1) {
    throw new PrivacyError('bad-parameter', `The sampling rate q must be above 0 and at most 1 (got ${q}).`);
  }
  if (!Number.isInteger(steps) || steps < 1) {
    throw new PrivacyError('bad-parameter', `The number of steps must be a whole number ≥ 1 (got ${steps}).`);
  }
  if (!Number.isFinite(budget.epsilon) || budget.epsilon <= 0) {
    throw new PrivacyError(
      'bad-parameter',
      `The ε budget must be a positive number (got ${budget.epsilon}).`,
    );
  }
  const fits = (sigma: number) => epsilonAt(input, sigma) <= budget.epsilon;
  if (!fits(MAX_NOISE_MULTIPLIER)) {
    throw new PrivacyError(
      'budget-exceeded',
      `Even the most noise a task may have (σ = ${MAX_NOISE_MULTIPLIER}) spends more than ε = ${budget.epsilon} over ` +
        `${steps} steps at sampling rate ${q}: raise ε, or plan fewer rounds or local epochs.`,
    );
  }
  if (fits(MIN_NOISE_MULTIPLIER)) return MIN_NOISE_MULTIPLIER;
  // Bisection on log σ between a σ that does not fit (low) and one that does (high).
  let low = MIN_NOISE_MULTIPLIER;
  let high = MAX_NOISE_MULTIPLIER;
  while (high / low > 1 + 1e-5) {
    const middle = Math.sqrt(low * high);
    if (fits(middle)) high = middle;
    else low = middle;
  }
  const rounded = Math.min(MAX_NOISE_MULTIPLIER, roundUp(high));
  return fits(rounded) ? rounded : high; // the decimal rounding may land a hair below high
}
