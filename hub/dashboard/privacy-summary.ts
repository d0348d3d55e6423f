// A task's privacy as the task page shows it: secure aggregation, the differential-privacy settings
// in the task's unit (per patient: DP-SGD at every site; per site: DP-FedAvg), and the ε the hub counted
// as spent. Per patient, the hub counts every published round for every patient (the worst case: a
// patient belongs to one site, whose rounds the hub cannot tell apart under secure aggregation).
import {
  formatEpsilon,
  homomorphicOn,
  patientDpNoiseShape,
  patientDpStepsPerRound,
  privacySpentAfter,
  type TaskDefinition,
} from '../../shared/federation/index.ts';
import { fewestPatientsFor, NOISE_TO_SIGNAL_REFUSED } from '../../shared/privacy/index.ts';
import { privacyBudgetWarning } from '../task-checks.ts';

export interface PrivacySummary {
  secureAggregation: string;
  differentialPrivacy: { label: string; value: string }[] | null;
  budget: {
    /** Whom ε is counted for: each patient, or each site. */
    unit: 'patient' | 'site';
    spent: string;
    total: string;
    delta: string;
    roundsAllowed: number;
    rounds: number;
  } | null;
  /** The budget ends the task before its last round (said at creation too). */
  warning: string | null;
}

export function privacySummary(definition: TaskDefinition, publishedRounds: number): PrivacySummary {
  const privacy = definition.privacy as { secureAggregation: unknown; differentialPrivacy: unknown };
  const dp = definition.privacy.differentialPrivacy;
  // Read loosely: the settings are `false`, `true`, or an object with `enabled` (secure-aggregation-settings.ts).
  const masked = privacy.secureAggregation;
  const secureAggregation = homomorphicOn(definition)
    ? 'off: homomorphic encryption instead. The hub adds encrypted updates it cannot read, and never sees an update, ' +
      'their sum or the model: every version after the initial one is encrypted; the sites decrypt it and report its metrics'
    : masked === true ||
        (typeof masked === 'object' && masked !== null && (masked as { enabled?: unknown }).enabled !== false)
      ? "on: the hub learns only the sum of the sites' updates"
      : 'off: updates are encrypted to the hub, not masked';
  if (!dp) return { secureAggregation, differentialPrivacy: null, budget: null, warning: null };
  const spent = privacySpentAfter(definition, publishedRounds);
  return {
    secureAggregation,
    differentialPrivacy:
      dp.unit === 'patient' ? patientRows(definition) : siteRows(dp.clipNorm, dp.noiseMultiplier),
    budget: {
      unit: dp.unit === 'patient' ? 'patient' : 'site',
      spent: formatEpsilon(spent.epsilon),
      total: formatEpsilon(dp.budget.epsilon),
      delta: String(dp.budget.delta),
      roundsAllowed: spent.roundsAllowed,
      rounds: spent.rounds,
    },
    warning: privacyBudgetWarning(definition),
  };
}

function siteRows(clipNorm: number, noiseMultiplier: number): { label: string; value: string }[] {
  return [
    { label: 'Protected unit', value: 'each site, all of its patients together (DP-FedAvg)' },
    { label: "Clipping norm of a site's update (C)", value: String(clipNorm) },
    { label: 'Noise multiplier (z)', value: String(noiseMultiplier) },
  ];
}

function patientRows(definition: TaskDefinition): { label: string; value: string }[] {
  const dp = definition.privacy.differentialPrivacy;
  if (dp?.unit !== 'patient') return [];
  const steps = patientDpStepsPerRound(definition);
  const epochs = definition.localEpochs;
  return [
    { label: 'Protected unit', value: 'each patient, all of their images together (DP-SGD at every site)' },
    { label: "Clipping norm of a patient's gradient (C)", value: String(dp.l2NormClip) },
    { label: 'Noise multiplier (σ)', value: String(dp.noiseMultiplier) },
    {
      label: 'Sampling rate per step (q)',
      value: `${dp.samplingRate}: each step's batch is a random sample of a site's patients, about ${dp.samplingRate} × its training patients (the task's batch size does not apply)`,
    },
    {
      label: 'Steps per round',
      value: `${steps} (each patient is expected in ${epochs} batch${epochs === 1 ? '' : 'es'} a round)`,
    },
    {
      label: 'Training patients a site needs',
      value:
        `at least ${fewestPatientsFor(dp.noiseMultiplier, dp.samplingRate, patientDpNoiseShape(definition))}, so that the ` +
        `noise over the signal of the whole training, ρ = σ√d/(q·N·√T), stays at or below ${NOISE_TO_SIGNAL_REFUSED}; ` +
        'each site checks its own when it approves the task',
    },
  ];
}
