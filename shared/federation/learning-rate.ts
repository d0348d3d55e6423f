// The sites' learning rate over a federated task's rounds. A constant rate moves the global model as
// much in its last round as in its first, so where sites disagree the last model is wherever the last
// round left it; a cosine decay over the rounds lets it settle.

export const LEARNING_RATE_SCHEDULES = ['constant', 'cosine'] as const;
export type LearningRateScheduleName = (typeof LEARNING_RATE_SCHEDULES)[number];

/** Where the cosine decay ends, as a share of the task's learning rate. */
export const COSINE_FLOOR = 0.05;

/**
 * The learning rate sites train with in `round` (1-based) of a task of `rounds` rounds; constant
 * within the round. The cosine follows the trainer's own cosine schedule (trainer/schedule.ts) with a
 * round in place of an epoch, so one local epoch per round decays as a site training alone would.
 */
export function roundLearningRate(
  optimizer: { learningRate: number; schedule: LearningRateScheduleName },
  round: number,
  rounds: number,
): number {
  if (optimizer.schedule === 'constant') return optimizer.learningRate;
  const t = Math.min(1, Math.max(0, (round - 1) / Math.max(1, rounds)));
  return optimizer.learningRate * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
