// The demo's privacy switches: the main federation runs with secure aggregation, as every real task
// does by default (`--no-secagg` turns it off, `--dp` adds differential privacy); `--compare` runs the
// same task again without either, after it, so the table shows what the protection costs in accuracy,
// bytes and time, and what it guarantees (ε spent).
import {
  formatEpsilon,
  privacySpentAfter,
  stepsPerRoundAt,
  type TaskDefinition,
  type TaskDefinitionInput,
} from '../../shared/federation/index.ts';
import { DEMO_SECURE_AGGREGATION } from './demo-options.ts';
import { calibrateNoiseMultiplier } from '../../shared/privacy/index.ts';

export interface DemoPrivacy {
  readonly secureAggregation: boolean;
  readonly differentialPrivacy: boolean;
}

/** What `radfed demo` runs with no flags: what a real task has by default. */
export const DEMO_PROTECTION: DemoPrivacy = { secureAggregation: true, differentialPrivacy: false };
/** The unprotected federation (`--no-secagg`, and the other side of `--compare`). */
export const PLAIN_FEDERATION: DemoPrivacy = { secureAggregation: false, differentialPrivacy: false };

/**
 * Patient-level DP-SGD for the demo (docs/differential-privacy.md): with three hospitals, noise on the
 * sites' updates (DP-FedAvg) drowns them, while noise on each site's per-patient gradients averages
 * over that site's patients. C = 1 clips nearly every patient's gradient (Adam then follows their
 * directions, not their sizes); q = 0.2 gives 5 steps a round of about a fifth of the patients each;
 * σ is calibrated so the task's rounds spend at most ε = 8 at δ = 1e-5. The sites train the group-norm
 * twin of the model (batch statistics would mix patients within a step).
 */
export const DEMO_DP = {
  unit: 'patient',
  l2NormClip: 1,
  samplingRate: 0.2,
  budget: { epsilon: 8, delta: 1e-5 },
  model: 'resnet-small-gn',
} as const;

/**
 * The scale of `radfed demo --dp` where --patients and --rounds are not given. DP-SGD's noise on the
 * mean gradient is σ/(q·N) of its clipped signal: at ε = 8 over 20 rounds (σ = 1.557 at q = 0.2) the
 * rule in shared/privacy/noise-to-signal.ts expects a moderate cost (up to about 0.05 of AUC) from 519
 * training patients per site; 800 patients give about 520 after the held-out test share. Fewer rounds
 * than the plain demo's 60: every round spends budget (60 rounds would need σ = 2.384, and 795 training
 * patients per site for the same noise on the mean), and a site of 520 patients sees nine times the
 * images of a plain demo site in each round.
 * Not yet measured end to end: the measured curve (docs/differential-privacy.md, "Measured") found no
 * learning at ε = 8 up to 300 patients per site and says the rule is optimistic for this model.
 */
export const DEMO_DP_PRESET = { patientsPerSite: 800, rounds: 20 } as const;

/** The demo task's patient-level DP settings, σ calibrated to its rounds and local epochs. */
export function demoDpSettings(plain: Pick<TaskDefinitionInput, 'rounds' | 'localEpochs'>) {
  const steps = plain.rounds * stepsPerRoundAt(plain.localEpochs ?? 1, DEMO_DP.samplingRate);
  const noiseMultiplier = calibrateNoiseMultiplier({
    samplingRate: DEMO_DP.samplingRate,
    steps,
    budget: DEMO_DP.budget,
  });
  return {
    unit: DEMO_DP.unit,
    l2NormClip: DEMO_DP.l2NormClip,
    noiseMultiplier,
    samplingRate: DEMO_DP.samplingRate,
    budget: { ...DEMO_DP.budget },
  };
}

export function wantsPrivateRun(privacy: DemoPrivacy): boolean {
  return privacy.secureAggregation || privacy.differentialPrivacy;
}

export function privateTaskDefinition(plain: TaskDefinitionInput, privacy: DemoPrivacy): TaskDefinitionInput {
  return {
    ...plain,
    name: `${plain.name} with ${describeDemoPrivacy(privacy)}`,
    ...(privacy.differentialPrivacy ? { model: { name: DEMO_DP.model } } : {}),
    privacy: {
      secureAggregation: { ...DEMO_SECURE_AGGREGATION, enabled: privacy.secureAggregation },
      differentialPrivacy: privacy.differentialPrivacy ? demoDpSettings(plain) : null,
    },
  };
}

export function describeDemoPrivacy(privacy: DemoPrivacy): string {
  const parts = [
    ...(privacy.secureAggregation ? ['secure aggregation'] : []),
    ...(privacy.differentialPrivacy ? ['differential privacy'] : []),
  ];
  return parts.join(' and ') || 'no added protection';
}

/** ε spent by the private task after its published rounds, in words for the table; null without DP. */
export function epsilonSpent(definition: TaskDefinition, publishedRounds: number): string | null {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) return null;
  const spent = privacySpentAfter(definition, publishedRounds);
  return `ε = ${formatEpsilon(spent.epsilon)} at δ = ${dp.budget.delta} after ${publishedRounds} rounds`;
}
