// `radfed hub task create --patient-dp …`: patient-level differential privacy laid over the task file
// from the command line. Without --noise-multiplier the hub calibrates σ from the budget
// (hub/privacy-checks.ts) and the command says which σ it stored.
import { type Command, InvalidArgumentError } from 'commander';
import { patientDpStepsPerRound, type TaskDefinition } from '../shared/federation/index.ts';
import { CliError } from './failure.ts';

export interface PatientDpFlags {
  patientDp?: boolean;
  epsilon?: number;
  delta?: number;
  samplingRate?: number;
  patientClip?: number;
  noiseMultiplier?: number;
}

function positive(flag: string, what: string, max = Infinity) {
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number <= 0 || number > max) {
      throw new InvalidArgumentError(
        `${flag} takes ${what}, a number above 0${Number.isFinite(max) ? ` and at most ${max}` : ''}, not "${value}".`,
      );
    }
    return number;
  };
}

export function addPatientDpOptions(command: Command): Command {
  return command
    .option(
      '--patient-dp',
      'patient-level differential privacy (DP-SGD at each site; replaces the file\u2019s privacy.differentialPrivacy)',
    )
    .option(
      '--epsilon <e>',
      'with --patient-dp: the ε budget per patient, e.g. 8',
      positive('--epsilon', 'the ε budget'),
    )
    .option(
      '--delta <d>',
      'with --patient-dp: δ of the guarantee (default 1e-5)',
      positive('--delta', 'a probability', 0.1),
    )
    .option(
      '--sampling-rate <q>',
      'with --patient-dp: each patient\u2019s chance to be in a training step, e.g. 0.05',
      positive('--sampling-rate', 'a probability', 1),
    )
    .option(
      '--patient-clip <norm>',
      'with --patient-dp: L2 norm each patient\u2019s gradient is clipped to (default 1)',
      positive('--patient-clip', 'an L2 norm'),
    )
    .option(
      '--noise-multiplier <sigma>',
      'with --patient-dp: σ (default: calibrated by the hub from the budget, rounds and epochs)',
      positive('--noise-multiplier', 'the noise multiplier', 1000),
    );
}

/** The task file with patient-level DP from the flags laid over it (unchanged without --patient-dp). */
export function withPatientDp(definition: unknown, flags: PatientDpFlags): unknown {
  const given = ['epsilon', 'delta', 'samplingRate', 'patientClip', 'noiseMultiplier'] as const;
  if (!flags.patientDp) {
    if (given.some((key) => flags[key] !== undefined)) {
      throw new CliError(
        '--epsilon, --delta, --sampling-rate, --patient-clip and --noise-multiplier go with --patient-dp.',
      );
    }
    return definition;
  }
  if (flags.epsilon === undefined || flags.samplingRate === undefined) {
    throw new CliError(
      '--patient-dp needs --epsilon (the budget per patient, e.g. 8) and --sampling-rate (each patient\u2019s chance ' +
        'to be in a step, e.g. 0.05); docs/differential-privacy.md recommends settings.',
    );
  }
  if (typeof definition !== 'object' || definition === null) return definition;
  const privacy = (definition as { privacy?: unknown }).privacy;
  return {
    ...definition,
    privacy: {
      ...(typeof privacy === 'object' && privacy !== null ? privacy : {}),
      differentialPrivacy: {
        unit: 'patient',
        l2NormClip: flags.patientClip ?? 1,
        samplingRate: flags.samplingRate,
        ...(flags.noiseMultiplier !== undefined ? { noiseMultiplier: flags.noiseMultiplier } : {}),
        budget: { epsilon: flags.epsilon, delta: flags.delta ?? 1e-5 },
      },
    },
  };
}

/** What the created task's patient-level DP is, for the command's output; '' without it. */
export function describeCreatedPatientDp(definition: TaskDefinition, calibrated: boolean): string {
  const dp = definition.privacy.differentialPrivacy;
  if (dp?.unit !== 'patient') return '';
  return (
    `Patient-level differential privacy: σ = ${dp.noiseMultiplier}${calibrated ? ' (calibrated from the budget)' : ''}, ` +
    `sampling rate ${dp.samplingRate}, ${patientDpStepsPerRound(definition)} steps per round, ` +
    `ε = ${dp.budget.epsilon} at δ = ${dp.budget.delta} per patient over ${definition.rounds} rounds.\n`
  );
}

/** Whether the input (file and flags) gave the patient-level σ itself, or left it to calibration. */
export function hasNoiseMultiplier(input: unknown): boolean {
  const dp = (input as { privacy?: { differentialPrivacy?: { noiseMultiplier?: unknown } } } | null)?.privacy
    ?.differentialPrivacy;
  return typeof dp === 'object' && dp !== null && dp.noiseMultiplier !== undefined;
}
