// `radfed bench dp-curve`: ε against AUC loss for a growing number of patients per site, the demo's
// federation without DP and with patient-level DP-SGD, in one process (main/demo/dp-curve.ts).
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';
import { DP_TRAINABLE_LAYERS, type DpTrainableLayers } from '../shared/federation/index.ts';
import { formatDpCurve, measureDpCurve } from '../main/demo/index.ts';
import { registerBenchDpFedAvgCurveCommand } from './bench-dp-curve-site-level.ts';

interface DpCurveFlags {
  patients: string;
  epsilons: string;
  sites: number;
  rounds: number;
  samplingRate: number;
  clip: number;
  learningRate: number;
  size: number;
  gnBaseline: boolean;
  scratchBaseline: boolean;
  baselines: boolean;
  noiseFreeBaseline?: boolean;
  publicPatients: number;
  pretrainEpochs: number;
  publicModel?: string;
  trainable: string;
  threads: number;
  keep?: boolean;
  json?: boolean;
}

/** Read in the action, not by commander: an InvalidArgumentError thrown there exited 2 with no message. */
function numbers(value: string, flag: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !(v > 0))) {
    throw new CliError(
      `${flag} takes positive numbers separated by commas, like 60,150,300 (not "${value}").`,
    );
  }
  return list;
}

function layerLists(value: string): DpTrainableLayers[] {
  const list = value.split(',').map((v) => v.trim());
  const known = (v: string): v is DpTrainableLayers => (DP_TRAINABLE_LAYERS as readonly string[]).includes(v);
  if (list.length === 0 || !list.every(known)) {
    throw new CliError(
      `--trainable takes ${DP_TRAINABLE_LAYERS.join(', ')}, separated by commas, like head,all (not "${value}").`,
    );
  }
  return list.filter(known);
}

function fraction(value: string, flag: string): number {
  const v = Number(value);
  if (!(v > 0 && v <= 1)) throw new InvalidArgumentError(`${flag} takes a number above 0 and at most 1.`);
  return v;
}

function positive(value: string, flag: string): number {
  const v = Number(value);
  if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${flag} takes a positive number.`);
  return v;
}

export function registerBenchDpCurveCommand(bench: Command): void {
  registerBenchDpFedAvgCurveCommand(bench);
  bench
    .command('dp-curve')
    .summary('differential privacy: ε against AUC loss as patients per site grow')
    .description(
      'For each number of patients per site, trains the demo federation (synthetic hospitals, FedAvgM)\n' +
        'without DP and with patient-level DP-SGD at each ε (σ calibrated by the accountant), in one\n' +
        'process (no hub or site processes), and prints AUC on the pooled held-out test set.',
    )
    .option('--patients <list>', 'patients per site, comma-separated', '60,150,300')
    .option('--epsilons <list>', 'ε budgets at δ = 1e-5, comma-separated', '8')
    .option('--sites <n>', 'simulated hospitals', (v) => parsePositiveInt(v, '--sites'), 3)
    .option(
      '--rounds <n>',
      'federated rounds (one local epoch each)',
      (v) => parsePositiveInt(v, '--rounds'),
      20,
    )
    .option(
      '--sampling-rate <q>',
      'Poisson sampling rate per patient per step',
      (v) => fraction(v, '--sampling-rate'),
      0.2,
    )
    .option('--clip <C>', "L2 norm each patient's gradient is clipped to", (v) => positive(v, '--clip'), 1)
    .option('--learning-rate <rate>', "Adam's rate with DP", (v) => positive(v, '--learning-rate'), 0.002)
    .option('--size <pixels>', 'image size', (v) => parsePositiveInt(v, '--size'), 64)
    .option(
      '--threads <n>',
      'WebAssembly threads',
      (v) => parsePositiveInt(v, '--threads'),
      os.availableParallelism(),
    )
    .option('--no-gn-baseline', 'leave out the group-norm model trained without DP')
    .option(
      '--no-scratch-baseline',
      'leave out the batch-norm model trained from scratch without DP (the demo\u2019s plain run)',
    )
    .option(
      '--noise-free-baseline',
      'also train each --trainable selection with the same steps and no noise or clipping (the cost of privacy alone)',
    )
    .option('--no-baselines', 'only the DP runs (and the public model alone): no model trained without DP')
    .option(
      '--public-patients <n>',
      'DP fine-tuning: pre-train on this many public synthetic patients (another seed) first; 0: from scratch',
      (v) => (v === '0' ? 0 : parsePositiveInt(v, '--public-patients')),
      0,
    )
    .option(
      '--pretrain-epochs <n>',
      'epochs of the public pre-training',
      (v) => parsePositiveInt(v, '--pretrain-epochs'),
      10,
    )
    .option(
      '--public-model <file>',
      'the pre-trained model (RFW1 weights): read if it exists, written after pre-training if not',
    )
    .option(
      '--trainable <list>',
      `layers trained under DP, comma-separated (${DP_TRAINABLE_LAYERS.join(', ')})`,
      'all',
    )
    .option('--keep', 'keep the work folder')
    .option('--json', 'print JSON')
    .action(async (flags: DpCurveFlags) => {
      const patientsPerSite = numbers(flags.patients, '--patients');
      const epsilons = numbers(flags.epsilons, '--epsilons');
      const trainableLayers = layerLists(flags.trainable);
      const workDir = mkdtempSync(join(tmpdir(), 'radfed-dp-curve-'));
      const started = performance.now();
      try {
        const points = await measureDpCurve({
          patientsPerSite,
          epsilons,
          delta: 1e-5,
          sites: flags.sites,
          rounds: flags.rounds,
          samplingRate: flags.samplingRate,
          l2NormClip: flags.clip,
          dpLearningRate: flags.learningRate,
          imageSize: flags.size,
          groupNormBaseline: flags.gnBaseline,
          scratchBaseline: flags.scratchBaseline,
          baselines: flags.baselines,
          noiseFreeBaseline: flags.noiseFreeBaseline === true,
          publicPatients: flags.publicPatients,
          pretrainEpochs: flags.pretrainEpochs,
          ...(flags.publicModel ? { publicModelFile: resolve(flags.publicModel) } : {}),
          trainableLayers,
          workDir,
          threads: flags.threads,
          say: (line) =>
            process.stderr.write(
              `[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}\n`,
            ),
        });
        process.stdout.write(flags.json ? `${JSON.stringify(points, null, 2)}\n` : formatDpCurve(points));
      } finally {
        if (!flags.keep) rmSync(workDir, { recursive: true, force: true });
      }
    });
}
