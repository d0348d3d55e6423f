// `radfed site train`: trains a model locally on the site's cohort (a federated round does the same
// from the hub's global model; see `radfed site run`).
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { buildCohort } from '../main/site/cohort/index.ts';
import { openSite } from '../main/site/index.ts';
import {
  BACKEND_CHOICES,
  describeBackend,
  TRAINING_TASKS,
  trainLocalModel,
  type BackendChoice,
  type ValidationMetrics,
} from '../main/site/train/index.ts';
import { parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';
import { terminalProgress } from './progress.ts';

interface TrainFlags {
  dir: string;
  task?: string;
  model: string;
  backend: BackendChoice;
  epochs?: number;
}

const percent = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);

export function describeMetrics(m: ValidationMetrics): string {
  return (
    `accuracy ${percent(m.accuracy)}, ROC AUC ${m.auc === null ? 'n/a' : m.auc.toFixed(3)}, ` +
    `sensitivity ${percent(m.sensitivity)}, specificity ${percent(m.specificity)} (${m.count} validation images)`
  );
}

export function registerTrainCommand(site: Command): void {
  site
    .command('train')
    .summary("train a model locally on the site's cohort")
    .description(
      'Trains on the cohort of a site task (radfed site cohort), validates on its validation split,\n' +
        'checkpoints every epoch and resumes an interrupted run. Prepared images are cached in D/cache.',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--task <id>', 'the site task whose cohort to train on (default: the only or default task)')
    .option(
      '--model <id>',
      `what to train: ${Object.keys(TRAINING_TASKS).join(', ')}`,
      'chest-radiograph-nodule',
    )
    .option(
      '--backend <name>',
      `${BACKEND_CHOICES.join(', ')}`,
      (v: string) => {
        if (!(BACKEND_CHOICES as readonly string[]).includes(v)) {
          throw new InvalidArgumentError(`--backend takes one of ${BACKEND_CHOICES.join(', ')}, not "${v}".`);
        }
        return v as BackendChoice;
      },
      'auto' as BackendChoice,
    )
    .option('--epochs <n>', 'epochs', (v) => parsePositiveInt(v, '--epochs'))
    .action(async (flags: TrainFlags) => {
      if (!(flags.model in TRAINING_TASKS)) {
        throw new CliError(
          `Unknown model "${flags.model}": choose one of ${Object.keys(TRAINING_TASKS).join(', ')}.`,
        );
      }
      const site = openSite(resolve(flags.dir));
      try {
        const cohort = buildCohort(site, flags.task);
        if (cohort.train.length === 0 || cohort.validation.length === 0) {
          throw new CliError(
            `The cohort has ${cohort.train.length} training and ${cohort.validation.length} validation images: ` +
              'ingest studies and import labels first (radfed site cohort shows what is missing).',
          );
        }
        const progress = terminalProgress('Training', 0);
        const result = await trainLocalModel({
          task: flags.model,
          train: cohort.train,
          validation: cohort.validation,
          cacheDir: join(site.directory, 'cache'),
          checkpointDir: join(site.directory, 'checkpoints', flags.model),
          backend: flags.backend,
          epochs: flags.epochs,
          onProgress: (event) => {
            if (event.type === 'started') {
              progress.finish(describeBackend(event.backend));
              if (event.memoryNote) process.stdout.write(`${event.memoryNote}\n`);
            }
            if (event.type === 'batch') {
              progress.update(
                event.batch,
                `epoch ${event.epoch + 1}, ${event.imagesPerSecond.toFixed(0)} images/s, ${Math.ceil(event.secondsLeft)} s left`,
              );
            }
            if (event.type === 'epoch') {
              progress.finish(`Epoch ${event.epoch + 1}: ${describeMetrics(event.validation)}`);
            }
          },
        });
        process.stdout.write(
          `Best epoch ${result.bestEpoch + 1}: ${describeMetrics(result.best)}\nWeights: ${result.bestWeights}.json\n`,
        );
      } finally {
        site.database.close();
      }
    });
}
