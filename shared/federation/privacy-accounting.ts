// What a task's differential-privacy settings spend, as the hub and the sites both account for it.
// RadFed does not sample sites at random: every joined site may take part in every round. So there
// is no amplification by subsampling (q = 1), and each aggregated round is one Gaussian release of
// the sum of clipped updates with noise multiplier z: RDP α/(2z²) per round.
import { epsilonSpent, roundsWithinBudget, type EpsilonAtOrder } from '../privacy/index.ts';
import { z } from 'zod';
import type { DpFedAvgSettings } from './differential-privacy-settings.ts';
import type { TaskDefinition } from './task-schema.ts';

/** The budget as the hub and the sites show it (task views, model card). */
export const privacyBudgetViewSchema = z.object({
  /** ε spent so far (at δ), over `rounds` rounds that counted. */
  epsilonSpent: z.number().min(0),
  epsilonBudget: z.number().positive(),
  delta: z.number().positive(),
  rounds: z.number().int().min(0),
  /** Rounds the budget allows in all. */
  roundsAllowed: z.number().int().min(0).nullable(),
  noiseMultiplier: z.number().positive(),
  clipNorm: z.number().positive(),
});
export type PrivacyBudgetView = z.infer<typeof privacyBudgetViewSchema>;

/** Whether updates are masked; read loosely so it holds whatever shape the secure-aggregation setting takes. */
export function secureAggregationOn(definition: TaskDefinition): boolean {
  const setting: unknown = definition.privacy.secureAggregation;
  if (typeof setting === 'boolean') return setting;
  if (setting !== null && typeof setting === 'object') {
    return (setting as { enabled?: unknown }).enabled !== false;
  }
  return false;
}

export interface PrivacySpending extends EpsilonAtOrder {
  /** Rounds counted so far (releases of a noised sum). */
  readonly rounds: number;
  readonly budget: { readonly epsilon: number; readonly delta: number };
  /** Rounds the budget allows in all (ε after that many rounds is still within the budget). */
  readonly roundsAllowed: number;
}

function mechanism(dp: DpFedAvgSettings) {
  return { q: 1, sigma: dp.noiseMultiplier };
}

/** ε (at the task's δ) after `rounds` rounds, with what the budget allows. */
export function privacySpentAfter(dp: DpFedAvgSettings, rounds: number): PrivacySpending {
  return {
    ...epsilonSpent(mechanism(dp), rounds, dp.budget.delta),
    rounds,
    budget: dp.budget,
    roundsAllowed: roundsWithinBudget(mechanism(dp), dp.budget),
  };
}

export function budgetView(dp: DpFedAvgSettings, rounds: number): PrivacyBudgetView {
  const spent = privacySpentAfter(dp, rounds);
  return {
    epsilonSpent: spent.epsilon,
    epsilonBudget: dp.budget.epsilon,
    delta: dp.budget.delta,
    rounds,
    roundsAllowed: Number.isFinite(spent.roundsAllowed) ? spent.roundsAllowed : null,
    noiseMultiplier: dp.noiseMultiplier,
    clipNorm: dp.clipNorm,
  };
}

/** Whether one more round after `rounds` stays within the task's budget. */
export function anotherRoundFits(dp: DpFedAvgSettings, rounds: number): boolean {
  return epsilonSpent(mechanism(dp), rounds + 1, dp.budget.delta).epsilon <= dp.budget.epsilon;
}

/** ε in words-friendly form: two decimals below 10, one above. */
export function formatEpsilon(epsilon: number): string {
  if (!Number.isFinite(epsilon)) return '∞';
  return epsilon < 10 ? epsilon.toFixed(2) : epsilon.toFixed(1);
}
