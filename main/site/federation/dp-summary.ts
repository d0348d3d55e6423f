// Differential privacy in plain words, for the operator approving a task and for the privacy officer.
import {
  formatEpsilon,
  patientDpNoiseShape,
  patientDpStepsPerRound,
  type PatientDpSgdSettings,
  type PrivacyBudgetView,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import {
  epsilonSpent,
  fewestPatientsFor,
  NOISE_TO_SIGNAL_REFUSED,
  noiseToSignal,
  type NoiseShape,
} from '../../../shared/privacy/index.ts';
import { noiseShare } from './dp-fedavg.ts';

/**
 * The heading of the summary's privacy section (a line of its own, like "What leaves this site:"): whom
 * the task's differential privacy protects.
 */
export function differentialPrivacyHeading(definition: TaskDefinition): string {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) return 'Differential privacy:';
  return dp.unit === 'patient' ? 'How each patient is protected:' : 'How this site is protected:';
}

/** Lines for a task summary; `spent` is the hub's (or this site's) count when known. */
export function describeDifferentialPrivacy(
  definition: TaskDefinition,
  spent: PrivacyBudgetView | null | undefined,
  /** This site's training images, for the per-image guarantee of DP-SGD (null when unknown). */
  trainImages: number | null = null,
  /** This site's training patients, for patient-level DP's noise against the signal (null when unknown). */
  patients: number | null = null,
): string[] {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) {
    return ['  No differential privacy: the updates carry no noise, and no privacy budget is counted.'];
  }
  if (dp.unit === 'patient') return describePatientDp(definition, dp, spent, patients);
  const { std, shares } = noiseShare(definition);
  const odds = Math.exp(dp.budget.epsilon);
  const lines = [
    `  Differential privacy (DP-FedAvg): before it leaves, this site\u2019s update is scaled down to a length ` +
      `(L2 norm) of at most ${dp.clipNorm} and random noise is added to every value (Gaussian, standard deviation ` +
      `${std.toPrecision(3)}${shares > 1 ? `, this site\u2019s share: ${shares} sites\u2019 shares add up to ${(dp.noiseMultiplier * dp.clipNorm).toPrecision(3)} in the sum the hub sees` : ''}). ` +
      'Every site is given the same weight, so the number of training images does not leave either.',
    `  Privacy budget: \u03b5 = ${dp.budget.epsilon}, \u03b4 = ${plainNumber(dp.budget.delta)}. Whatever anyone does with the ` +
      'published models, what they can conclude about whether this site (all of its patients) took part changes ' +
      `by at most a factor of ${oddsWords(odds)}, except with probability ` +
      `${plainNumber(dp.budget.delta)} (\u03b4). Smaller \u03b5 is stronger; 1 to 10 is usual for useful medical models.`,
  ];
  if (dp.dpSgd) {
    const sgd = dp.dpSgd;
    const perImage =
      trainImages && trainImages > 0
        ? (() => {
            const q = Math.min(1, definition.batchSize / trainImages);
            const steps =
              definition.rounds * definition.localEpochs * Math.ceil(trainImages / definition.batchSize);
            const e = epsilonSpent({ q, sigma: sgd.noiseMultiplier }, steps, dp.budget.delta).epsilon;
            return (
              ` With this site\u2019s ${trainImages} training images, all ${definition.rounds} rounds give each image ` +
              `\u03b5 = ${formatEpsilon(e)} (\u03b4 = ${plainNumber(dp.budget.delta)}).`
            );
          })()
        : '';
    lines.push(
      `  Inside training (DP-SGD): each batch is split into ${sgd.microbatches} part${sgd.microbatches === 1 ? '' : 's'}, ` +
        `each part\u2019s gradient is scaled down to at most ${sgd.l2NormClip} and noise (multiplier ${sgd.noiseMultiplier}) ` +
        `is added at every step: this protects each image on its own, besides the site as a whole.${perImage}`,
    );
  }
  if (spent) lines.push(spentLine(spent));
  return lines;
}

/**
 * Patient-level DP-SGD in plain words for the operator (a radiographer): what is protected, how a step
 * picks patients, what ε means for a patient and the expected accuracy cost; then one line that starts
 * with TECHNICAL_DETAIL holding the numbers behind them (σ, q, the clip, the noise-to-signal rule of
 * shared/privacy/noise-to-signal.ts), which the screen puts behind a "Technical detail" disclosure.
 */
function describePatientDp(
  definition: TaskDefinition,
  dp: PatientDpSgdSettings,
  spent: PrivacyBudgetView | null | undefined,
  patients: number | null,
): string[] {
  const q = dp.samplingRate;
  const steps = patientDpStepsPerRound(definition);
  const shape = patientDpNoiseShape(definition);
  const batch =
    patients !== null
      ? `about ${expectedCount(q * patients)} of this site\u2019s ${patients} training patients per step`
      : `a share of ${q} of this site\u2019s training patients per step`;
  const lines = [
    '  Each patient is protected, all of that patient\u2019s images together: random noise is added inside this ' +
      'site\u2019s training, so that the published models hardly depend on whether any one patient took part.',
    `  At each of ${steps} training step${steps === 1 ? '' : 's'} per round every patient is picked at random with a chance of ${q} ` +
      `(${batch}); how much one patient\u2019s images can change a step is capped, and random noise is added to ` +
      'every step\u2019s change.',
    `  Privacy budget: \u03b5 = ${dp.budget.epsilon}, \u03b4 = ${plainNumber(dp.budget.delta)}, for each patient. Whatever anyone ` +
      'does with the published models, what they can conclude about whether any one patient of this site took part (or ' +
      `about anything in that patient\u2019s images) changes by at most a factor of ${oddsWords(Math.exp(dp.budget.epsilon))}, ` +
      `except with probability ${plainNumber(dp.budget.delta)} (\u03b4). Smaller \u03b5 is stronger; 1 to 10 is usual for useful medical models.`,
    ...fineTuningLines(dp),
    expectedCostLine(dp, patients, shape),
  ];
  if (spent) lines.push(spentLine(spent));
  lines.push(patientDpDetail(dp, steps, patients, shape));
  return lines;
}

/** DP fine-tuning (dp-trainable-layers.ts) in plain words: what this site trains, what stays as sent. */
function fineTuningLines(dp: PatientDpSgdSettings): string[] {
  const layers = dp.trainableLayers ?? 'all';
  if (layers === 'all') return [];
  const part =
    layers === 'head'
      ? 'only the model\u2019s last layer, the one that turns what the model sees into its answer'
      : 'only the model\u2019s last layer and the small scaling settings between its layers';
  return [
    `  This site trains ${part}; the rest of the model stays exactly as the coordinator sent it, trained beforehand ` +
      'on images that no hospital of this task contributed. The noise covers only the part that is trained, so far ' +
      'fewer patients are enough for a useful model.',
  ];
}

/** The first words of the line that holds the numbers behind the plain words (the screen folds it away). */
export const TECHNICAL_DETAIL = 'Technical detail:';

/** The numbers behind the patient-level lines, for a privacy officer or an engineer. */
function patientDpDetail(
  dp: PatientDpSgdSettings,
  steps: number,
  patients: number | null,
  shape: NoiseShape,
): string {
  const ratio =
    patients !== null
      ? (() => {
          const measured = noiseToSignal(dp.noiseMultiplier, dp.samplingRate, patients, shape);
          return Number.isFinite(measured.ratio) ? measured.ratio.toPrecision(2) : 'unbounded';
        })()
      : null;
  return (
    `  ${TECHNICAL_DETAIL} patient-level DP-SGD with Poisson sampling, q = ${dp.samplingRate}, ${steps} step${steps === 1 ? '' : 's'} per round; ` +
    `each patient\u2019s summed gradient clipped to L2 norm ${dp.l2NormClip}; Gaussian noise on each step\u2019s sum ` +
    `(noise multiplier \u03c3 = ${dp.noiseMultiplier}, standard deviation ${(dp.noiseMultiplier * dp.l2NormClip).toPrecision(3)}); ` +
    (ratio !== null
      ? `noise over the signal of the whole training \u03c1 = \u03c3\u221ad/(q\u00b7N\u00b7\u221aT) = ${ratio} ` +
        `with N = ${patients}, d = ${shape.modelValues} model values, T = ${shape.steps} step${shape.steps === 1 ? '' : 's'} in all; `
      : '') +
    `a site refuses the task above ${NOISE_TO_SIGNAL_REFUSED} (the rule of thumb in docs/differential-privacy.md).`
  );
}

/**
 * Why this site refuses a patient-level task (hopelessPatientDp in approve-task.ts), in the words of the
 * Training page: the site's own number, what it would need, and what the coordinator could change.
 */
export function patientDpRefusalInWords(definition: TaskDefinition, trainPatients: number): string {
  const dp = definition.privacy.differentialPrivacy;
  if (dp?.unit !== 'patient') return '';
  const shape = patientDpNoiseShape(definition);
  return (
    `with this site\u2019s ${trainPatients} training patient${trainPatients === 1 ? '' : 's'} for it, the noise that ` +
    'protects each patient would drown what the model learns. It needs at least ' +
    `${fewestPatientsFor(dp.noiseMultiplier, dp.samplingRate, shape)} training patients here; or the coordinator can change ` +
    'the task (a larger privacy budget or a smaller model).'
  );
}

/** The expected accuracy cost in words, from this site's training patients when known. */
function expectedCostLine(dp: PatientDpSgdSettings, patients: number | null, shape: NoiseShape): string {
  if (patients === null) {
    const needed = fewestPatientsFor(dp.noiseMultiplier, dp.samplingRate, shape);
    return (
      `  Expected accuracy cost: this site needs at least ${needed} training patients for a useful model; ` +
      'with fewer the noise would drown what the model learns, and this site refuses the task.'
    );
  }
  const measured = noiseToSignal(dp.noiseMultiplier, dp.samplingRate, patients, shape);
  return measured.cost === 'hopeless'
    ? `  Expected accuracy cost: with ${patients} training patients here the noise would drown what the model learns ` +
        `(${measured.words}), so this site refuses the task; it needs at least ` +
        `${fewestPatientsFor(dp.noiseMultiplier, dp.samplingRate, shape)} training patients.`
    : `  Expected accuracy cost: with ${patients} training patients here, expect ${measured.words}.`;
}

function spentLine(spent: PrivacyBudgetView): string {
  return (
    `  Spent so far: \u03b5 = ${formatEpsilon(spent.epsilonSpent)} over ${spent.rounds} round${spent.rounds === 1 ? '' : 's'}` +
    `${spent.roundsAllowed !== null ? `; the budget allows ${spent.roundsAllowed} round${spent.roundsAllowed === 1 ? '' : 's'} in all` : ''}` +
    '. When it is spent the task ends, and this site trains no further round for it.'
  );
}

/** The factor e^ε, said as a number a person reads ("about 2,981", not "3.0e+3"). */
function oddsWords(odds: number): string {
  if (odds < 100) return odds.toFixed(1);
  // Past a million the digits say nothing a person can weigh (e^100 has 44 of them): the guarantee is void.
  if (odds >= 1e6) return 'more than a million (so hardly any protection at all)';
  return `about ${Math.round(odds).toLocaleString('en')}`;
}

/** A small probability in decimals (0.0000001), never as JavaScript prints it below 1e-6 ("1e-7"). */
export function plainNumber(value: number): string {
  if (value === 0 || Math.abs(value) >= 1e-6) return String(value);
  const digits = Math.min(20, Math.ceil(-Math.log10(Math.abs(value))) + 2);
  return value.toFixed(digits).replace(/0+$/, '');
}

/** An expected number of patients: one decimal below 10, whole above. */
export function expectedCount(value: number): string {
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}
