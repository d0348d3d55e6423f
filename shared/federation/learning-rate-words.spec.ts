// Every schedule a task may name has its words, and the words follow the numbers the trainer uses.
import { expect, it } from 'vitest';
import { LEARNING_RATE_SCHEDULES } from './task-schema.ts';
import { learningRateScheduleWords } from './learning-rate-words.ts';

it('words each schedule: none for a constant rate, the decay and its end for the others', () => {
  expect(LEARNING_RATE_SCHEDULES.map(learningRateScheduleWords)).toEqual([
    '',
    ', lowered round by round to 5% of it by the last',
    ', kept for the first 75% of the rounds, then lowered over the last 25% to 5% of it by the last',
  ]);
});
