// The sites' learning-rate schedule in plain words: one home for the hub's task page and the site's
// approval text, so that a new schedule is worded once, for both. The hub's page named `cosine` only,
// and said nothing at all for `final-decay`, the schedule every demo task uses.
import { COSINE_FLOOR, FINAL_DECAY_SHARE, type TaskDefinition } from './task-schema.ts';

export type LearningRateSchedule = TaskDefinition['optimizer']['schedule'];

const percent = (share: number): string => `${Math.round(share * 100)}%`;

/**
 * What follows "at learning rate 0.002": how the rate moves over the rounds, or '' when it stays as
 * it is. The switch is exhaustive: a schedule added to LEARNING_RATE_SCHEDULES fails tsc here.
 */
export function learningRateScheduleWords(schedule: LearningRateSchedule): string {
  switch (schedule) {
    case 'constant':
      return '';
    case 'cosine':
      return `, lowered round by round to ${percent(COSINE_FLOOR)} of it by the last`;
    case 'final-decay':
      return (
        `, kept for the first ${percent(1 - FINAL_DECAY_SHARE)} of the rounds, then lowered over the ` +
        `last ${percent(FINAL_DECAY_SHARE)} to ${percent(COSINE_FLOOR)} of it by the last`
      );
  }
}
