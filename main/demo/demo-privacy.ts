// The demo's privacy switches: the main federation runs with secure aggregation, as every real task
// does by default (`--no-secagg` turns it off, `--dp` adds differential privacy); `--compare` runs the
// same task again without either, after it, so the table shows what the protection costs in accuracy,
// bytes and time, and what it guarantees (ε spent).
import {
  dpTrainableValueCount,
  formatEpsilon,
  privacySpentAfter,
  stepsPerRoundAt,
  type TaskDefinition,
  type TaskDefinitionInput,
} from '../../shared/federation/index.ts';
import {
  DEMO_COHORT_TASK,
  DEMO_SECURE_AGGREGATION,
  demoTaskDefinition,
  type DemoSettings,
} from './demo-options.ts';
import { calibrateNoiseMultiplier, fewestPatientsFor, noiseToSignal } from '../../shared/privacy/index.ts';

export interface DemoPrivacy {
  readonly secureAggregation: boolean;
  readonly differentialPrivacy: boolean;
  /** `--homomorphic`: CKKS instead of secure aggregation (the hub sees no update, not even the sum). */
  readonly homomorphic?: boolean;
}

/** What `radfed demo` runs with no flags: what a real task has by default. */
export const DEMO_PROTECTION: DemoPrivacy = { secureAggregation: true, differentialPrivacy: false };
/** The unprotected federation (`--no-secagg`, and the other side of `--compare`). */
export const PLAIN_FEDERATION: DemoPrivacy = { secureAggregation: false, differentialPrivacy: false };

/**
 * Patient-level DP fine-tuning for the demo (docs/differential-privacy.md, "DP fine-tuning"): with three
 * hospitals, noise on the sites' updates (DP-FedAvg) drowns them, and DP-SGD of the whole model from
 * scratch needs thousands of training patients per site (ρ = σ√d/(q·N·√T) with d = 304 466). So the
 * sites train only the head (d = 514) of a model pre-trained on public data (dp-pretraining.ts), with
 * patient-level DP-SGD: C = 1 clips nearly every patient's gradient; q = 0.2 gives 5 steps a round of
 * about a fifth of the patients each; σ is calibrated so the task's rounds spend at most ε = 8 at
 * δ = 1e-5. The model is the group-norm twin (batch statistics would mix patients within a step).
 */
export const DEMO_DP = {
  unit: 'patient',
  l2NormClip: 1,
  samplingRate: 0.2,
  budget: { epsilon: 8, delta: 1e-5 },
  model: 'resnet-small-gn',
  trainableLayers: 'head',
} as const;

/**
 * The scale of `radfed demo --dp` where --patients and --rounds are not given, and its public
 * pre-training. 60 patients per hospital leave 25–28 training patients per site (seed 2024) after the
 * held-out test (0.35) and validation (0.2) shares; the rule above needs 18 for the head at ε = 8 over
 * 20 rounds (ρ ≈ 0.71 at 25), and `radfed bench dp-curve` measured the head's privacy cost at this size at 0.002 of AUC
 * (docs/differential-privacy.md, "Where the curve meets the goal"). The public model: the bench's,
 * 800 synthetic patients of another seed, 20 epochs (12 min on 2 loaded cores, once: it is cached). A
 * quarter of it (400 patients, 10 epochs: 8 min) scored 0.58 alone, and every layer fine-tuned from it
 * without DP only 0.60: a public model that weak leaves the head nothing to use.
 */
export const DEMO_DP_PRESET = {
  patientsPerSite: 60,
  rounds: 20,
  publicPatients: 800,
  pretrainEpochs: 20,
} as const;

/** The demo task's patient-level DP settings, σ calibrated to its rounds and local epochs. */
export function demoDpSettings(
  plain: Pick<TaskDefinitionInput, 'rounds' | 'localEpochs'>,
  epsilon: number = DEMO_DP.budget.epsilon,
) {
  const budget = { epsilon, delta: DEMO_DP.budget.delta };
  const steps = plain.rounds * stepsPerRoundAt(plain.localEpochs ?? 1, DEMO_DP.samplingRate);
  const noiseMultiplier = calibrateNoiseMultiplier({ samplingRate: DEMO_DP.samplingRate, steps, budget });
  return {
    unit: DEMO_DP.unit,
    l2NormClip: DEMO_DP.l2NormClip,
    noiseMultiplier,
    samplingRate: DEMO_DP.samplingRate,
    budget,
    trainableLayers: DEMO_DP.trainableLayers,
  };
}

export function wantsPrivateRun(privacy: DemoPrivacy): boolean {
  return privacy.secureAggregation || privacy.differentialPrivacy || privacy.homomorphic === true;
}

export function privateTaskDefinition(plain: TaskDefinitionInput, privacy: DemoPrivacy): TaskDefinitionInput {
  return {
    ...plain,
    name: `${plain.name} with ${describeDemoPrivacy(privacy)}`,
    ...(privacy.differentialPrivacy ? { model: { name: DEMO_DP.model } } : {}),
    privacy: {
      secureAggregation: {
        ...DEMO_SECURE_AGGREGATION,
        enabled: privacy.secureAggregation && privacy.homomorphic !== true,
      },
      homomorphic: privacy.homomorphic === true,
      differentialPrivacy: privacy.differentialPrivacy ? demoDpSettings(plain) : null,
    },
  };
}

/**
 * `radfed demo --dp`'s task: the demo's task on the group-norm model with secure aggregation (as every
 * real task) and patient-level DP fine-tuning of the head at ε (σ calibrated for its rounds). The hub
 * needs the public model as its initial weights (a head-only task without them is refused).
 */
export function dpDemoTaskDefinition(
  settings: DemoSettings,
  epsilon: number = DEMO_DP.budget.epsilon,
): TaskDefinitionInput {
  const plain = demoTaskDefinition({ ...settings, model: DEMO_DP.model });
  return {
    ...plain,
    name: `${plain.name} with secure aggregation and DP fine-tuning of the head`,
    privacy: {
      secureAggregation: { ...DEMO_SECURE_AGGREGATION, enabled: true },
      homomorphic: false,
      differentialPrivacy: demoDpSettings(plain, epsilon),
    },
  };
}

export function describeDemoPrivacy(privacy: DemoPrivacy): string {
  const parts = [
    ...(privacy.homomorphic === true
      ? ['homomorphic encryption']
      : privacy.secureAggregation
        ? ['secure aggregation']
        : []),
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

/**
 * Why the sites would refuse the demo's patient-level DP task before anything is synthesised, or null.
 * A site's training patients are at most its patients, so a demo whose every patient would not be
 * enough is refused here, at once; one that passes is still checked by each site at approval, from its
 * actual cohort (the held-out test share and the validation share leave about 0.65 × 0.8 of them).
 * The trained values are the head's: the rest of the model stays the public model's.
 */
export function demoDpRefusal(
  settings: DemoSettings,
  epsilon: number = DEMO_DP.budget.epsilon,
): string | null {
  const plain = demoTaskDefinition(settings);
  const dp = demoDpSettings(plain, epsilon);
  const modelValues = dpTrainableValueCount(
    { model: { name: DEMO_DP.model }, labels: plain.labels },
    DEMO_DP.trainableLayers,
  ) as number;
  const shape = {
    modelValues,
    steps: plain.rounds * stepsPerRoundAt(plain.localEpochs ?? 1, DEMO_DP.samplingRate),
  };
  const upperBound = noiseToSignal(dp.noiseMultiplier, dp.samplingRate, settings.patientsPerSite, shape);
  if (upperBound.cost !== 'hopeless') return null;
  const needed = fewestPatientsFor(dp.noiseMultiplier, dp.samplingRate, shape);
  const perSite = Math.ceil(
    needed / ((1 - settings.testFraction) * (1 - DEMO_COHORT_TASK.validationFraction)),
  );
  return (
    `The hospitals would refuse this task at approval: with differential privacy at ε = ${epsilon} over ` +
    `${plain.rounds} round${plain.rounds === 1 ? '' : 's'}, the noise that protects each patient would drown what the ` +
    `head of the model (${DEMO_DP.model}, ${modelValues} trained values) learns unless each hospital has at least ${needed} training ` +
    `patients; each has ${settings.patientsPerSite} patients in all (fewer still for training). That takes about ` +
    `${perSite} patients per hospital (--patients ${perSite}), after the held-out test and validation shares. ` +
    'Nothing was synthesised or trained.'
  );
}
