// What a member trains each round under `radfed swarm serve`: the site's own cohort (consented,
// de-identified, labelled; main/site/cohort) with the task's model, from the round's global model,
// for the task's local epochs, as a FedAvg round at a site does. The change to the global model is
// what the round's secure aggregation masks.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NamedTensor, WeightSet } from '../../../shared/federation/index.ts';
import { buildCohort } from '../cohort/index.ts';
import { initialModelWeights, readTrainedWeights, toNamedValues } from '../federation/index.ts';
import { openSite } from '../store/index.ts';
import { taskById, trainLocalModel, type TrainingTask } from '../train/index.ts';
import type { MemberUpdate } from './round-secagg-member.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmTask } from './swarm-task.ts';

type Training = NonNullable<SwarmTask['training']>;

function trainingOf(task: SwarmTask): { training: Training; model: TrainingTask } {
  if (!task.training)
    throw new SwarmError(
      'bad-message',
      'The swarm task names no training ("training" in the task file), so this site has nothing to train; ask the founder for the task file.',
    );
  return { training: task.training, model: taskById(task.training.model) };
}

/** The task's initial model (the same at every member: the model's seed is fixed). */
export async function initialSwarmModel(task: SwarmTask): Promise<NamedTensor[]> {
  return initialModelWeights(trainingOf(task).model);
}

/** A round's training on the site in `siteDir`: the change from `global` and the example count. */
export function cohortTrainer(
  siteDir: string,
  task: SwarmTask,
): (global: WeightSet, round: number) => Promise<MemberUpdate> {
  const { training, model } = trainingOf(task);
  const cohortOf = (site: ReturnType<typeof openSite>) => {
    const cohort = buildCohort(site, training.cohortTask);
    if (cohort.train.length === 0)
      throw new SwarmError(
        'round-failed',
        'This site has no training images for the swarm task (no labelled studies in by consent); import labels ' +
          '(radfed site labels import) and check the cohort (radfed site cohort).',
      );
    return cohort;
  };
  // Checked once before serving, so a site with nothing to train on says so at once, not mid-round.
  const site = openSite(siteDir);
  try {
    cohortOf(site);
  } finally {
    site.database.close();
  }
  return async (global, round) => {
    const site = openSite(siteDir);
    const checkpointDir = mkdtempSync(join(siteDir, `swarm-round-${round}-`));
    try {
      const cohort = cohortOf(site);
      await trainLocalModel({
        task: model,
        train: cohort.train,
        validation: cohort.validation.length > 0 ? cohort.validation : cohort.train,
        cacheDir: join(siteDir, 'cache'),
        checkpointDir,
        epochs: training.localEpochs,
        batchSize: training.batchSize,
        learningRate: training.learningRate,
        schedule: { kind: 'constant' },
        patience: 0,
        seed: round,
        initialWeights: toNamedValues(global),
      });
      // The round's last epoch, as a FedAvg round keeps it (round-work.ts).
      const last = join(checkpointDir, `epoch-${String(training.localEpochs).padStart(4, '0')}`, 'model');
      const local = await readTrainedWeights(last, global);
      const delta = local.map((t, i) => ({ ...t, data: t.data.map((v, j) => v - global[i]!.data[j]!) }));
      return { delta, examples: cohort.train.length };
    } finally {
      site.database.close();
      rmSync(checkpointDir, { recursive: true, force: true });
    }
  };
}
