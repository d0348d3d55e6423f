// `radfed privacy epsilon`, `rounds` and `calibrate`: the RDP accountant at the terminal, to plan a
// task's differential-privacy settings (what ε a number of steps spends, how many rounds fit a budget,
// which σ a patient-level task needs and what it leaves of the signal at a site of N patients).
import { type Command, InvalidArgumentError } from 'commander';
import {
  formatEpsilon,
  DP_TRAINABLE_LAYERS,
  dpTrainableValueCount,
  modelValueCount,
  stepsPerRoundAt,
  type PrivacyBudgetView,
} from '../shared/federation/index.ts';
import {
  calibrateNoiseMultiplier,
  epsilonSpent,
  hopelessNoiseReason,
  noiseToSignal,
  PrivacyError,
  roundsWithinBudget,
} from '../shared/privacy/index.ts';
import { CliError } from './failure.ts';
import { parseNonNegativeInt, parsePositiveInt } from './arguments.ts';

function parseRate(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) {
    throw new InvalidArgumentError(
      `--q takes the sampling rate, a number from 0 to 1 (batch size / records), not "${value}".`,
    );
  }
  return number;
}

function parsePositive(flag: string, what: string) {
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
      throw new InvalidArgumentError(`${flag} takes ${what}, a number above 0, not "${value}".`);
    }
    return number;
  };
}

function parseDelta(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0 || number >= 1) {
    throw new InvalidArgumentError(
      `--delta takes a probability between 0 and 1, exclusive (e.g. 1e-5), not "${value}".`,
    );
  }
  return number;
}

interface EpsilonFlags {
  q: number;
  sigma: number;
  steps: number;
  delta: number;
  json?: boolean;
}

interface RoundsFlags {
  q: number;
  sigma: number;
  epsilon: number;
  delta: number;
  stepsPerRound: number;
  json?: boolean;
}

export function registerPrivacyCommands(program: Command): void {
  const privacy = program
    .command('privacy')
    .summary('differential-privacy accounting (RDP of the subsampled Gaussian mechanism)');

  privacy
    .command('epsilon')
    .summary('print the ε a number of noisy steps spends, and the best RDP order')
    .description(
      'The (ε, δ) guarantee after STEPS steps of the subsampled Gaussian mechanism: each step samples\n' +
        'records with probability Q and adds Gaussian noise of SIGMA times the clipping norm. For a\n' +
        'RadFed task with DP-FedAvg, one round is one step with --q 1 and --sigma the noise multiplier.',
    )
    .requiredOption('--q <rate>', 'sampling rate per step, 0 to 1 (1: every record every step)', parseRate)
    .requiredOption(
      '--sigma <z>',
      'noise multiplier (noise std / clipping norm)',
      parsePositive('--sigma', 'the noise multiplier'),
    )
    .requiredOption('--steps <n>', 'number of steps (or rounds)', (v) => parseNonNegativeInt(v, '--steps'))
    .requiredOption('--delta <d>', 'δ of the guarantee, e.g. 1e-5', parseDelta)
    .option('--json', 'print JSON')
    .action((flags: EpsilonFlags) => {
      const result = epsilonSpent({ q: flags.q, sigma: flags.sigma }, flags.steps, flags.delta);
      if (flags.json) {
        const { json: _json, ...input } = flags;
        process.stdout.write(
          `${JSON.stringify({ ...input, epsilon: result.epsilon, order: result.order })}\n`,
        );
        return;
      }
      process.stdout.write(
        `ε = ${result.epsilon.toFixed(4)} at δ = ${flags.delta} (best RDP order ${result.order}) after ` +
          `${flags.steps} step${flags.steps === 1 ? '' : 's'} with q = ${flags.q}, σ = ${flags.sigma}.\n`,
      );
    });

  privacy
    .command('rounds')
    .summary('print how many rounds (or steps) fit a privacy budget')
    .requiredOption('--q <rate>', 'sampling rate per step, 0 to 1', parseRate, 1)
    .requiredOption(
      '--sigma <z>',
      'noise multiplier (noise std / clipping norm)',
      parsePositive('--sigma', 'the noise multiplier'),
    )
    .requiredOption('--epsilon <e>', 'the ε budget', parsePositive('--epsilon', 'the ε budget'))
    .requiredOption('--delta <d>', 'δ of the guarantee, e.g. 1e-5', parseDelta)
    .option(
      '--steps-per-round <n>',
      'steps in one round (DP-FedAvg: 1)',
      (v) => parsePositiveInt(v, '--steps-per-round'),
      1,
    )
    .option('--json', 'print JSON')
    .action((flags: RoundsFlags) => {
      const rounds = roundsWithinBudget(
        { q: flags.q, sigma: flags.sigma },
        { epsilon: flags.epsilon, delta: flags.delta },
        flags.stepsPerRound,
      );
      const spent =
        Number.isFinite(rounds) && rounds > 0
          ? epsilonSpent({ q: flags.q, sigma: flags.sigma }, rounds * flags.stepsPerRound, flags.delta)
          : null;
      if (flags.json) {
        const { json: _json, ...input } = flags;
        process.stdout.write(
          `${JSON.stringify({ ...input, rounds: Number.isFinite(rounds) ? rounds : null, epsilonSpent: spent?.epsilon ?? 0 })}\n`,
        );
        return;
      }
      if (!Number.isFinite(rounds)) {
        process.stdout.write('With q = 0 nothing is spent: any number of rounds fits.\n');
      } else if (rounds === 0) {
        process.stdout.write(
          `Not one round fits ε = ${flags.epsilon} at δ = ${flags.delta}: raise --sigma or the budget.\n`,
        );
      } else {
        process.stdout.write(
          `${rounds} round${rounds === 1 ? '' : 's'} fit ε = ${flags.epsilon} at δ = ${flags.delta}; ` +
            `they spend ε = ${(spent?.epsilon ?? 0).toFixed(4)}.\n`,
        );
      }
    });
  registerCalibrate(privacy);
}

interface CalibrateFlags {
  q: number;
  rounds: number;
  localEpochs: number;
  epsilon: number;
  delta: number;
  patients?: number;
  model: string;
  trainable: string;
  json?: boolean;
}

/** `radfed privacy calibrate`: σ for a patient-level task, as the hub calibrates it at creation. */
function registerCalibrate(privacy: Command): void {
  privacy
    .command('calibrate')
    .summary('print the noise multiplier σ a patient-level DP task needs, and what it leaves of the signal')
    .description(
      'The least σ whose ε after ROUNDS rounds of ceil(LOCAL_EPOCHS / Q) steps stays within the budget (what the\n' +
        'hub stores for a patient-level task without noiseMultiplier). With --patients N: the noise over the signal of\n' +
        "the whole training ρ = σ√d/(q·N·√T) at a site of N training patients (d: the model's values, T: the steps),\n" +
        'and whether the site would refuse the task.',
    )
    .requiredOption('--q <rate>', 'each patient\u2019s chance to be in a step (the sampling rate)', parseRate)
    .requiredOption('--rounds <n>', 'rounds of the task', (v) => parsePositiveInt(v, '--rounds'))
    .option('--local-epochs <n>', 'local epochs per round', (v) => parsePositiveInt(v, '--local-epochs'), 1)
    .requiredOption('--epsilon <e>', 'the ε budget', parsePositive('--epsilon', 'the ε budget'))
    .option('--delta <d>', 'δ of the guarantee', parseDelta, 1e-5)
    .option('--patients <n>', 'training patients at a site', (v) => parsePositiveInt(v, '--patients'))
    .option('--model <name>', 'the task\u2019s model (its size d enters the rule)', 'resnet-small-gn')
    .option(
      '--trainable <layers>',
      `the layers the sites train (DP fine-tuning: only those count in d): ${DP_TRAINABLE_LAYERS.join(', ')}`,
      'all',
    )
    .option('--json', 'print JSON')
    .action((flags: CalibrateFlags) => {
      if (flags.q <= 0) throw new CliError('--q must be above 0 for patient-level DP.');
      const stepsPerRound = stepsPerRoundAt(flags.localEpochs, flags.q);
      let sigma: number;
      try {
        sigma = calibrateNoiseMultiplier({
          samplingRate: flags.q,
          steps: flags.rounds * stepsPerRound,
          budget: { epsilon: flags.epsilon, delta: flags.delta },
        });
      } catch (error) {
        if (error instanceof PrivacyError) throw new CliError(error.message);
        throw error;
      }
      const layers = DP_TRAINABLE_LAYERS.find((l) => l === flags.trainable);
      if (!layers) {
        throw new CliError(`Unknown --trainable ${flags.trainable}: use ${DP_TRAINABLE_LAYERS.join(', ')}.`);
      }
      const labels = ['absent', 'present'];
      const modelValues =
        layers === 'all'
          ? modelValueCount({
              model: { name: flags.model },
              input: { channels: 1 },
              labels,
            } as Parameters<typeof modelValueCount>[0])
          : dpTrainableValueCount({ model: { name: flags.model }, labels }, layers);
      if (modelValues === null)
        throw new CliError(
          `Unknown --model ${flags.model}: use resnet-small-gn, resnet-small or reference-cnn.`,
        );
      const shape = { modelValues, steps: flags.rounds * stepsPerRound };
      const signal =
        flags.patients !== undefined ? noiseToSignal(sigma, flags.q, flags.patients, shape) : null;
      const refused =
        flags.patients !== undefined ? hopelessNoiseReason(sigma, flags.q, flags.patients, shape) : null;
      if (flags.json) {
        const { json: _json, ...input } = flags;
        process.stdout.write(
          `${JSON.stringify({ ...input, stepsPerRound, noiseMultiplier: sigma, noiseToSignal: signal?.ratio ?? null, cost: signal?.cost ?? null })}\n`,
        );
        return;
      }
      process.stdout.write(
        `σ = ${sigma}: ${flags.rounds} round${flags.rounds === 1 ? '' : 's'} of ${stepsPerRound} steps at q = ${flags.q} ` +
          `spend at most ε = ${flags.epsilon} at δ = ${flags.delta} per patient.\n`,
      );
      if (signal) {
        process.stdout.write(
          refused
            ? `A site would refuse it: ${refused}\n`
            : `At a site of ${flags.patients} training patients the noise over the signal of the whole training is ` +
                `ρ = σ√d/(q·N·√T) = ${signal.ratio.toPrecision(2)}, so ${signal.words} (by the rule of thumb in ` +
                'docs/differential-privacy.md).\n',
        );
      }
    });
}

/** One line for `radfed hub task show`: the budget and what the hub counted as spent. */
export function describePrivacyBudget(budget: PrivacyBudgetView): string {
  return (
    (budget.unit === 'patient'
      ? `privacy: each patient has spent at most ε = ${formatEpsilon(budget.epsilonSpent)} of ε = ${budget.epsilonBudget} per patient at δ = ${budget.delta} `
      : `privacy: ε = ${formatEpsilon(budget.epsilonSpent)} spent of ε = ${budget.epsilonBudget} at δ = ${budget.delta} `) +
    `over ${budget.rounds} round${budget.rounds === 1 ? '' : 's'}` +
    `${budget.roundsAllowed !== null ? ` (the budget allows ${budget.roundsAllowed})` : ''}; ` +
    (budget.unit === 'patient'
      ? `patient-level DP-SGD with each patient\u2019s gradient clipped to ${budget.clipNorm}, noise multiplier ` +
        `${budget.noiseMultiplier}, sampling rate ${budget.samplingRate ?? '?'} (${budget.stepsPerRound ?? '?'} steps per round)`
      : `DP-FedAvg with clipping norm ${budget.clipNorm}, noise multiplier ${budget.noiseMultiplier}`)
  );
}
