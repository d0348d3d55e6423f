import { describe, expect, it } from 'vitest';
import type { TaskProgress } from '../../../../shared/ipc/index.ts';
import { describePhase, describeTraining, epochSeries, formatDuration } from './training-words.ts';

const task = (partial: Partial<TaskProgress>): TaskProgress => ({
  taskId: 't',
  name: 'Nodules',
  round: 2,
  roundState: 'open',
  acceptedUpdates: 1,
  quorum: 3,
  phase: 'waiting',
  training: null,
  epochs: [],
  rounds: [],
  roundsCompleted: 1,
  ended: null,
  ...partial,
});

describe('training words', () => {
  it('says where a task is', () => {
    expect(describePhase(task({}))).toBe('Waiting for the other sites in round 2 (1 of 3 updates received).');
    expect(describePhase(task({ phase: 'training' }))).toBe('Training on this computer in round 2.');
    expect(describePhase(task({ ended: { state: 'completed', reason: null } }))).toBe(
      'Finished at the hub (completed).',
    );
  });

  it('says speed and time left when known', () => {
    const training = {
      round: 1,
      epoch: 1,
      epochs: 2,
      batch: 3,
      batches: 8,
      imagesPerSecond: 41.24,
      secondsLeft: 125,
    };
    expect(describeTraining(training)).toBe('Epoch 1 of 2, batch 3 of 8; 41.2 images/s; about 2 min left.');
    expect(describeTraining({ ...training, imagesPerSecond: null, secondsLeft: null })).toBe(
      'Epoch 1 of 2, batch 3 of 8.',
    );
    expect(formatDuration(0.2)).toBe('1 s');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
  });

  it('numbers epochs across rounds for the chart', () => {
    const series = epochSeries(
      task({
        epochs: [
          { round: 2, epoch: 1, loss: 0.5 },
          { round: 1, epoch: 2, loss: 0.6 },
          { round: 1, epoch: 1, loss: 0.9 },
        ],
      }),
    );
    expect(series).toEqual({ x: [1, 2, 3], loss: [0.9, 0.6, 0.5] });
  });
});
