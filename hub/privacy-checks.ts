// The hub's privacy checks of a new task, before it is stored:
// - calibration: a patient-level DP task may leave noiseMultiplier out; the hub then stores the
//   smallest σ whose ε after all the task's rounds stays within its budget (shared/privacy/calibration.ts);
// - refusal: a task whose budget funds fewer rounds than it asks for is refused, saying what to change
//   (either unit); patient level: whether the noise leaves anything of the signal depends on each site's
//   number of patients (ρ = σ√d/(q·N·√T) ≤ NOISE_TO_SIGNAL_REFUSED, shared/privacy/noise-to-signal.ts). No site has
//   declared its cohort for a task that does not exist yet, so the hub states the fewest patients a site
//   needs, and each site checks its own at approval (main/site/federation/approve-task.ts).
import {
  formatEpsilon,
  privacySpentAfter,
  stepsPerRoundAt,
  patientDpNoiseShape,
  type TaskDefinition,
} from '../shared/federation/index.ts';
import {
  calibrateNoiseMultiplier,
  fewestPatientsFor,
  MAX_NOISE_MULTIPLIER,
  NOISE_TO_SIGNAL_REFUSED,
  PrivacyError,
} from '../shared/privacy/index.ts';

export interface TaskPrivacyCheck {
  readonly problems: { readonly path: string; readonly message: string }[];
  readonly warnings: string[];
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null;
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The task input with a patient-level DP task's missing noise multiplier calibrated from its budget,
 * rounds, local epochs and sampling rate; any other input unchanged (the schema then says what is
 * wrong with it). When not even the largest σ fits, σ is set to that largest one, and
 * checkTaskPrivacy refuses the task saying so.
 */
export function withCalibratedNoise(input: unknown): unknown {
  if (!isObject(input) || !isObject(input.privacy)) return input;
  const dp = input.privacy.differentialPrivacy;
  if (!isObject(dp) || dp.unit !== 'patient' || dp.noiseMultiplier !== undefined) return input;
  const { rounds, localEpochs } = input;
  const { samplingRate: q, budget } = dp;
  const valid =
    Number.isInteger(rounds) &&
    Number.isInteger(localEpochs) &&
    isNumber(q) &&
    isObject(budget) &&
    isNumber(budget.epsilon) &&
    isNumber(budget.delta);
  if (!valid || (rounds as number) < 1 || (localEpochs as number) < 1 || q <= 0 || q > 1) return input;
  let sigma: number;
  try {
    sigma = calibrateNoiseMultiplier({
      samplingRate: q,
      steps: (rounds as number) * stepsPerRoundAt(localEpochs as number, q),
      budget: { epsilon: budget.epsilon as number, delta: budget.delta as number },
    });
  } catch (error) {
    if (!(error instanceof PrivacyError)) throw error;
    if (error.code !== 'budget-exceeded') return input; // a bad ε or δ: the schema says which
    sigma = MAX_NOISE_MULTIPLIER;
  }
  return { ...input, privacy: { ...input.privacy, differentialPrivacy: { ...dp, noiseMultiplier: sigma } } };
}

/** Problems that refuse the task, and warnings that do not, about its differential privacy. */
export function checkTaskPrivacy(task: TaskDefinition): TaskPrivacyCheck {
  const dp = task.privacy.differentialPrivacy;
  if (!dp) return { problems: [], warnings: [] };
  const problems = [];
  const unfunded = unfundedRounds(task);
  if (unfunded) problems.push({ path: 'privacy.differentialPrivacy.budget.epsilon', message: unfunded });
  const warnings: string[] = [];
  if (dp.unit === 'patient' && problems.length === 0) {
    const needed = fewestPatientsFor(dp.noiseMultiplier, dp.samplingRate, patientDpNoiseShape(task));
    warnings.push(
      `The hub cannot check yet whether the noise leaves a useful model: that depends on each site's number of ` +
        `patients, and no site has declared its cohort for this task. With σ = ${dp.noiseMultiplier} and sampling rate ` +
        `${dp.samplingRate}, a site needs at least ${needed} training patients (noise over the signal of the whole ` +
        `training ρ = σ√d/(q·N·√T) ≤ ${NOISE_TO_SIGNAL_REFUSED}); each site checks its own cohort when it approves the task and refuses below that.`,
    );
  }
  return { problems, warnings };
}

/** Why the budget cannot fund every round the task asks for, with what to change; null when it can. */
export function unfundedRounds(task: TaskDefinition): string | null {
  const dp = task.privacy.differentialPrivacy;
  if (!dp) return null;
  const allowed = privacySpentAfter(task, 0).roundsAllowed;
  if (!(allowed < task.rounds)) return null;
  // The budget as given when it is below formatEpsilon's two decimals (ε = 0.001, not "0.00").
  const epsilon = dp.budget.epsilon < 0.01 ? String(dp.budget.epsilon) : formatEpsilon(dp.budget.epsilon);
  const budget = `ε = ${epsilon} (δ = ${dp.budget.delta})`;
  const funds = `The privacy budget ${budget} funds only ${allowed} of the task's ${task.rounds} rounds`;
  if (dp.unit === 'patient') {
    const steps = stepsPerRoundAt(task.localEpochs, dp.samplingRate);
    if (dp.noiseMultiplier >= MAX_NOISE_MULTIPLIER) {
      return (
        `${funds}, even with the most noise a task may have (σ = ${MAX_NOISE_MULTIPLIER}) over ${stepsWord(steps)} per round ` +
        `(local epochs ${task.localEpochs} / sampling rate ${dp.samplingRate}): raise ε, or plan fewer rounds or local epochs.`
      );
    }
    return (
      `${funds} with noise multiplier σ = ${dp.noiseMultiplier} over ${stepsWord(steps)} per round: ` +
      `${noiseThatFunds(dp.samplingRate, task.rounds * steps, dp.budget, 'σ')}leave noiseMultiplier out to have the ` +
      `hub calibrate it, raise ε, or plan ${allowed === 0 ? 'fewer rounds or local epochs' : `${allowed} rounds`}.`
    );
  }
  return (
    `${funds} with noise multiplier ${dp.noiseMultiplier}: ${noiseThatFunds(1, task.rounds, dp.budget, 'the noise multiplier')}` +
    `raise ε, or plan ${allowed} rounds. (With few sites DP-FedAvg's noise drowns the updates; patient-level DP, ` +
    "unit 'patient', protects each patient instead: docs/differential-privacy.md.)"
  );
}

/** "raise σ to 1.23 (funds all rounds), " or '' when no σ within the cap does. */
function noiseThatFunds(
  samplingRate: number,
  steps: number,
  budget: { epsilon: number; delta: number },
  name: string,
): string {
  try {
    const sigma = calibrateNoiseMultiplier({ samplingRate, steps, budget });
    return `raise ${name} to ${sigma} (that funds every round), `;
  } catch (error) {
    if (error instanceof PrivacyError) return '';
    throw error;
  }
}

/** "1 step", "12 steps". */
function stepsWord(steps: number): string {
  return `${steps} step${steps === 1 ? '' : 's'}`;
}
