// `radfed bench dp-fedavg-curve`: site-level DP-FedAvg's AUC against the number of hospitals, from a
// few real sites and a stated model for the rest (main/demo/dp-curve-site-level.ts).
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';
import { DP_TRAINABLE_LAYERS, type DpTrainableLayers } from '../shared/federation/index.ts';
import { formatSiteLevelCurve, measureSiteLevelCurve } from '../main/demo/index.ts';

interface DpFedAvgCurveFlags {
  patients: number;
  sites: number;
  hospitals: string;
  epsilon: string;
  rounds: number;
  clip?: string;
  learningRate: string;
  size: number;
  trainable: string;
  publicModel?: string;
  publicPatients: number;
  pretrainEpochs: number;
  threads: number;
  json?: boolean;
}

function positiveNumber(value: string, flag: string): number {
  const v = Number(value);
  if (!(v > 0) || !Number.isFinite(v))
    throw new CliError(`${flag} takes a positive number (not "${value}").`);
  return v;
}

function hospitalCounts(value: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new CliError(`--hospitals takes whole numbers separated by commas, like 3,10,50 (not "${value}").`);
  }
  return list;
}

function layerList(value: string): DpTrainableLayers[] {
  const list = value.split(',').map((v) => v.trim());
  const known = (v: string): v is DpTrainableLayers => (DP_TRAINABLE_LAYERS as readonly string[]).includes(v);
  if (!list.every(known)) {
    throw new CliError(
      `--trainable takes ${DP_TRAINABLE_LAYERS.join(', ')}, separated by commas (not "${value}").`,
    );
  }
  return list.filter(known);
}

export function registerBenchDpFedAvgCurveCommand(bench: Command): void {
  bench
    .command('dp-fedavg-curve')
    .summary('site-level DP-FedAvg: AUC against the number of hospitals')
    .description(
      'Trains a few of the demo\u2019s synthetic hospitals in one process and adds to their clipped average the\n' +
        'noise that DP-FedAvg at ε puts on the average of K hospitals\u2019 updates (N(0, (zC/K)\u00b2) per value),\n' +
        'for each K: a stated model of K hospitals whose updates look like these. Prints AUC on the pooled\n' +
        'held-out test set, against the same run clipped without noise and against the run without DP.',
    )
    .option('--patients <n>', 'patients per real site', (v) => parsePositiveInt(v, '--patients'), 60)
    .option('--sites <n>', 'real sites trained', (v) => parsePositiveInt(v, '--sites'), 3)
    .option(
      '--hospitals <list>',
      'K: hospitals of the simulated federation, comma-separated',
      '3,10,30,100,300',
    )
    .option('--epsilon <ε>', 'ε at δ = 1e-5 over all rounds', '8')
    .option('--rounds <n>', 'rounds of one local epoch', (v) => parsePositiveInt(v, '--rounds'), 20)
    .option('--clip <C>', 'clip norm of an update (default: the median update norm of the run without DP)')
    .option('--learning-rate <rate>', 'Adam\u2019s rate at the sites', '0.002')
    .option('--size <pixels>', 'image size', (v) => parsePositiveInt(v, '--size'), 64)
    .option('--trainable <list>', `layers the sites train (${DP_TRAINABLE_LAYERS.join(', ')})`, 'head,all')
    .option(
      '--public-model <file>',
      'start from this pre-trained model (RFW1; written after pre-training if absent)',
    )
    .option(
      '--public-patients <n>',
      'pre-train on this many public synthetic patients first; 0: from fresh weights',
      (v) => (v === '0' ? 0 : parsePositiveInt(v, '--public-patients')),
      0,
    )
    .option(
      '--pretrain-epochs <n>',
      'epochs of the public pre-training',
      (v) => parsePositiveInt(v, '--pretrain-epochs'),
      20,
    )
    .option(
      '--threads <n>',
      'WebAssembly threads',
      (v) => parsePositiveInt(v, '--threads'),
      os.availableParallelism(),
    )
    .option('--json', 'print JSON')
    .action(async (flags: DpFedAvgCurveFlags) => {
      const simulatedSites = hospitalCounts(flags.hospitals);
      const epsilon = positiveNumber(flags.epsilon, '--epsilon');
      const learningRate = positiveNumber(flags.learningRate, '--learning-rate');
      const clipNorm = flags.clip === undefined ? undefined : positiveNumber(flags.clip, '--clip');
      const trainableLayers = layerList(flags.trainable);
      const workDir = mkdtempSync(join(tmpdir(), 'radfed-dp-fedavg-curve-'));
      const started = performance.now();
      try {
        const points = await measureSiteLevelCurve({
          patientsPerSite: flags.patients,
          sites: flags.sites,
          simulatedSites,
          epsilon,
          delta: 1e-5,
          rounds: flags.rounds,
          learningRate,
          imageSize: flags.size,
          trainableLayers,
          ...(clipNorm === undefined ? {} : { clipNorm }),
          ...(flags.publicModel ? { publicModelFile: resolve(flags.publicModel) } : {}),
          publicPatients: flags.publicPatients,
          pretrainEpochs: flags.pretrainEpochs,
          workDir,
          threads: flags.threads,
          say: (line) =>
            process.stderr.write(
              `[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}\n`,
            ),
        });
        process.stdout.write(
          flags.json ? `${JSON.stringify(points, null, 2)}\n` : formatSiteLevelCurve(points),
        );
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    });
}
