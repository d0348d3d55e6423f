// The yardsticks the federated model is measured against, trained in this process with the same
// engine, model, initial weights, batch size, learning rate and number of epochs as the federation:
// each hospital alone on its own cohort, and all cohorts pooled in one place (what federation tries
// to approach without moving data). Every model is kept as it is at the end of its training (no pick
// of a best epoch, as the federated model is its last round's) and evaluated on the same pooled
// held-out test set.
import { join } from 'node:path';
import type { NamedTensor, TaskDefinition } from '../../shared/federation/index.ts';
import {
  evaluateWeights,
  readTrainedWeights,
  taskSchedule,
  type Evaluation,
} from '../site/federation/index.ts';
import { trainLocalModel, type LabelledImage, type TrainingTask } from '../site/train/index.ts';

export interface BaselineSpec {
  readonly name: string;
  readonly train: readonly LabelledImage[];
  readonly validation: readonly LabelledImage[];
}

export interface TrainedBaseline {
  readonly name: string;
  readonly weights: NamedTensor[];
  readonly seconds: number;
  readonly trainImages: number;
  /** Epochs trained (the weights are the last epoch's). */
  readonly epochs: number;
}

export async function trainBaseline(
  spec: BaselineSpec,
  options: {
    task: TrainingTask;
    definition: TaskDefinition;
    layout: readonly NamedTensor[];
    workDir: string;
    threads?: number;
    onEpoch?: (epoch: number, epochs: number) => void;
  },
): Promise<TrainedBaseline> {
  const d = options.definition;
  const epochs = d.rounds * d.localEpochs;
  const started = performance.now();
  const checkpointDir = join(options.workDir, 'checkpoints', spec.name.replace(/[^A-Za-z0-9-]+/g, '-'));
  await trainLocalModel({
    task: options.task,
    train: spec.train,
    validation: spec.validation,
    cacheDir: join(options.workDir, 'cache'),
    checkpointDir,
    ...(options.threads ? { threads: options.threads } : {}),
    epochs,
    batchSize: d.batchSize,
    learningRate: d.optimizer.learningRate,
    // The federation's schedule over the same epochs (a round's rate is this one at its first epoch).
    schedule: taskSchedule(d),
    patience: 0,
    seed: 0,
    // The same starting point as the federation (its initial model is the seed-0 model).
    initialWeights: options.layout.map((t) => ({
      name: t.name,
      shape: [...t.shape],
      values: t.data,
      trainable: true,
    })),
    onProgress: (event) => {
      if (event.type === 'epoch') options.onEpoch?.(event.epoch + 1, epochs);
    },
  });
  return {
    name: spec.name,
    // The trainer keeps its latest epoch's checkpoint: the end of training.
    weights: await readTrainedWeights(
      join(checkpointDir, `epoch-${String(epochs).padStart(4, '0')}`, 'model'),
      options.layout,
    ),
    seconds: (performance.now() - started) / 1000,
    trainImages: spec.train.length,
    epochs,
  };
}

export function evaluateOnTest(
  task: TrainingTask,
  weights: readonly NamedTensor[],
  test: readonly LabelledImage[],
  workDir: string,
  threads?: number,
): Promise<Evaluation> {
  return evaluateWeights({
    task,
    weights,
    items: test,
    cacheDir: join(workDir, 'cache'),
    ...(threads ? { threads } : {}),
  });
}

/**
 * The yardsticks of every demo: each hospital alone on its own images (local-only), then all
 * hospitals' images pooled in one place (the upper reference), for the task's rounds × local epochs.
 */
export async function trainYardsticks(
  sites: readonly { name: string; train: readonly LabelledImage[]; validation: readonly LabelledImage[] }[],
  options: {
    task: TrainingTask;
    definition: TaskDefinition;
    layout: readonly NamedTensor[];
    workDir: string;
    threads?: number;
    say: (line: string) => void;
  },
): Promise<{ locals: TrainedBaseline[]; pooled: TrainedBaseline; seconds: number }> {
  const started = performance.now();
  const { say, ...training } = options;
  const epochs = options.definition.rounds * options.definition.localEpochs;
  const locals: TrainedBaseline[] = [];
  for (const site of sites) {
    say(
      `Training ${site.name} alone: ${epochs} epochs on its ${site.train.length} images (the local-only baseline)...`,
    );
    locals.push(
      await trainBaseline(
        { name: `${site.name} only`, train: site.train, validation: site.validation },
        training,
      ),
    );
  }
  const pooledTrain = sites.flatMap((s) => s.train);
  say(
    `Training on all hospitals' data pooled in one place: ${epochs} epochs on ${pooledTrain.length} images (the upper reference)...`,
  );
  const pooled = await trainBaseline(
    {
      name: 'Pooled (all data in one place)',
      train: pooledTrain,
      validation: sites.flatMap((s) => s.validation),
    },
    training,
  );
  return { locals, pooled, seconds: (performance.now() - started) / 1000 };
}
