// The task's learning rate over its rounds, in the trainer's own schedule: a site training one round
// and a model trained alone for rounds × local epochs (the demo's baselines) follow the same curve.
import { COSINE_FLOOR, FINAL_DECAY_SHARE, type TaskDefinition } from '../../../shared/federation/index.ts';
import { learningRateAt, type LearningRateSchedule } from '../train/index.ts';

type Optimizer = Pick<TaskDefinition, 'optimizer'>;

/** The trainer's schedule for the task's rounds × local epochs. */
export function taskSchedule(d: Optimizer): LearningRateSchedule {
  switch (d.optimizer.schedule) {
    case 'cosine':
      return { kind: 'cosine', warmupEpochs: 0, floor: COSINE_FLOOR };
    case 'final-decay':
      return { kind: 'final-decay', share: FINAL_DECAY_SHARE, floor: COSINE_FLOOR };
    case 'constant':
      return { kind: 'constant' };
  }
}

/** The rate sites train with in `round` (1-based): the schedule's at the round's first epoch. */
export function roundLearningRate(
  d: Optimizer & Pick<TaskDefinition, 'rounds' | 'localEpochs'>,
  round: number,
): number {
  return learningRateAt(
    d.optimizer.learningRate,
    taskSchedule(d),
    (round - 1) * d.localEpochs,
    d.rounds * d.localEpochs,
  );
}
