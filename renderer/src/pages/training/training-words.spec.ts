import { describe, expect, it } from 'vitest';
import type { TaskProgress } from '../../../../shared/ipc/index.ts';
import {
  AUC_MEANING,
  describePhase,
  describeTraining,
  epochSeries,
  formatDuration,
  learningWarning,
  needsLogScale,
  siteTaskIdFor,
} from './training-words.ts';

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
      memoryNote: null,
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

describe('model quality in words', () => {
  const round = (n: number, loss: number, auc: number | null) => ({
    round: n,
    local: null,
    global: { version: n, loss, accuracy: 0.5, auc },
  });

  it('warns in plain words when the loss blew up and the AUC is at chance', () => {
    const warning = learningWarning(task({ rounds: [round(1, 0.7, 0.6), round(2, 1e13, 0.5)] }));
    expect(warning).toBe(
      'The model is not learning: in round 2 its loss is 10 trillion (a model that learns stays near or below 1) ' +
        'and its AUC is 0.50, no better than a coin toss. Tell the coordinator: the learning rate may be too ' +
        'high, or the labels may not match the images.',
    );
  });

  it('warns about an AUC at chance only after a few rounds, and says nothing for a model that learns', () => {
    expect(learningWarning(task({ rounds: [round(1, 0.69, 0.5)] }))).toBeNull();
    expect(learningWarning(task({ rounds: [1, 2, 3].map((n) => round(n, 0.69, 0.51)) }))).toMatch(
      /^The model is not learning yet: after 3 rounds its AUC is 0.51/,
    );
    expect(learningWarning(task({ rounds: [1, 2, 3].map((n) => round(n, 0.4, 0.8)) }))).toBeNull();
    expect(learningWarning(task({ rounds: [] }))).toBeNull();
  });

  it('draws a loss over many orders of magnitude on a log scale', () => {
    expect(needsLogScale([0.7, 1e13])).toBe(true);
    expect(needsLogScale([0.7, 0.5, null])).toBe(false);
    expect(AUC_MEANING).toMatch(/^AUC is the chance .* 0\.5 is no better than a coin toss, 1 is perfect\.$/);
  });
});

describe('setting up from a hub task', () => {
  it('makes a site task ID from the hub task name, unique among the site tasks', () => {
    expect(siteTaskIdFor('Nodule screening (e2e)', [])).toBe('nodule-screening-e2e');
    expect(siteTaskIdFor('Nodule screening (e2e)', ['nodule-screening-e2e'])).toBe('nodule-screening-e2e-2');
    expect(siteTaskIdFor('Épanchement pleural', [])).toBe('epanchement-pleural');
    expect(siteTaskIdFor('???', [])).toBe('hub-task');
  });
});

describe('a paused site', () => {
  it('does not say "training" for a task it stopped following', () => {
    const phase = describePhase(task({ phase: 'training', round: 7 }), false);
    expect(phase).toBe('Not taking part now; last seen in round 7. Training resumes from where it stopped.');
  });
});

describe('a model that blew up here while the global one stayed tame', () => {
  it('still warns, from the local model', () => {
    const rounds = [
      {
        round: 1,
        local: { loss: 1.5e10, accuracy: 0.5, auc: 0.5 },
        global: { version: 1, loss: 0.693, accuracy: 0.67, auc: 0.5 },
      },
    ];
    expect(learningWarning(task({ rounds }))).toMatch(
      /^The model is not learning: in round 1 its loss is 15 billion/,
    );
  });
});
