// What a task's differential-privacy settings spend, as the hub and the sites both account for it.
// - Site level (DP-FedAvg): RadFed does not sample sites at random; every joined site may take part in
//   every round. So there is no amplification by subsampling (q = 1), and each aggregated round is one
//   Gaussian release of the sum of clipped updates with noise multiplier z: RDP α/(2z²) per round.
// - Patient level (DP-SGD): each round a site runs patientDpStepsPerRound steps, each the Gaussian
//   mechanism (σ) on a Poisson sample (q) of its patients: the RDP of the subsampled Gaussian per step,
//   composed over rounds × steps. A patient belongs to one site, so the sites' rounds do not add up:
//   the ledger counts the rounds the site took part in (the hub, every published round, as worst case).
import {
  epsilonSpent,
  PrivacyError,
  roundsWithinBudget,
  type EpsilonAtOrder,
  type SubsampledGaussian,
} from '../privacy/index.ts';
import { z } from 'zod';
import type { DpFedAvgSettings, DpSettings } from './differential-privacy-settings.ts';
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
  /** The clip norm: of a site's update (site level), of a patient's gradient (patient level). */
  clipNorm: z.number().positive(),
  /** Whom ε protects; absent from hubs that had only the site level. */
  unit: z.enum(['site', 'patient']).optional(),
  /** Patient level: q, each patient's chance to be in a step's batch, and the steps a round runs. */
  samplingRate: z.number().positive().max(1).optional(),
  stepsPerRound: z.number().int().positive().optional(),
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

/** What the accountant reads of a task: its DP settings and, for the patient level, its local epochs. */
export type AccountedTask = Pick<TaskDefinition, 'localEpochs' | 'privacy'>;
/** A task, or (as before the patient level existed) a task's DP-FedAvg settings alone. */
export type PrivacySource = AccountedTask | DpFedAvgSettings;

/**
 * Steps a site runs per round under patient-level DP-SGD: ceil(localEpochs / q), so that each
 * patient is expected in localEpochs batches per round, as many as in localEpochs plain epochs.
 */
export function patientDpStepsPerRound(definition: AccountedTask): number {
  const dp = definition.privacy.differentialPrivacy;
  if (dp?.unit !== 'patient') {
    throw new PrivacyError('bad-parameter', 'This task has no patient-level differential privacy.');
  }
  return stepsPerRoundAt(definition.localEpochs, dp.samplingRate);
}

/** ceil(epochs / q), forgiving the rounding of a quotient that is whole (3 / 0.3 = 10.000000000000002). */
export function stepsPerRoundAt(localEpochs: number, samplingRate: number): number {
  return Math.max(1, Math.ceil(localEpochs / samplingRate - 1e-9));
}

interface Accounting {
  readonly dp: DpSettings;
  readonly mechanism: SubsampledGaussian;
  readonly stepsPerRound: number;
}

function accountingOf(source: PrivacySource): Accounting {
  const dp = 'privacy' in source ? source.privacy.differentialPrivacy : source;
  if (!dp) {
    throw new PrivacyError('bad-parameter', 'This task has no differential privacy to account for.');
  }
  if (dp.unit === 'patient' && 'privacy' in source) {
    return {
      dp,
      mechanism: { q: dp.samplingRate, sigma: dp.noiseMultiplier },
      stepsPerRound: patientDpStepsPerRound(source),
    };
  }
  return { dp, mechanism: { q: 1, sigma: dp.noiseMultiplier }, stepsPerRound: 1 };
}

/** ε (at the task's δ) after `rounds` rounds, with what the budget allows. */
export function privacySpentAfter(source: PrivacySource, rounds: number): PrivacySpending {
  const { dp, mechanism, stepsPerRound } = accountingOf(source);
  return {
    ...epsilonSpent(mechanism, rounds * stepsPerRound, dp.budget.delta),
    rounds,
    budget: dp.budget,
    roundsAllowed: roundsWithinBudget(mechanism, dp.budget, stepsPerRound),
  };
}

export function budgetView(source: PrivacySource, rounds: number): PrivacyBudgetView {
  const { dp, mechanism, stepsPerRound } = accountingOf(source);
  const spent = privacySpentAfter(source, rounds);
  return {
    epsilonSpent: spent.epsilon,
    epsilonBudget: dp.budget.epsilon,
    delta: dp.budget.delta,
    rounds,
    roundsAllowed: Number.isFinite(spent.roundsAllowed) ? spent.roundsAllowed : null,
    noiseMultiplier: dp.noiseMultiplier,
    ...(dp.unit === 'patient'
      ? { clipNorm: dp.l2NormClip, unit: 'patient', samplingRate: mechanism.q, stepsPerRound }
      : { clipNorm: dp.clipNorm, unit: 'site' }),
  };
}

/** Whether one more round after `rounds` stays within the task's budget. */
export function anotherRoundFits(source: PrivacySource, rounds: number): boolean {
  const { dp, mechanism, stepsPerRound } = accountingOf(source);
  return epsilonSpent(mechanism, (rounds + 1) * stepsPerRound, dp.budget.delta).epsilon <= dp.budget.epsilon;
}

/** ε in words-friendly form: two decimals below 10, one above. */
export function formatEpsilon(epsilon: number): string {
  if (!Number.isFinite(epsilon)) return '∞';
  return epsilon < 10 ? epsilon.toFixed(2) : epsilon.toFixed(1);
}
