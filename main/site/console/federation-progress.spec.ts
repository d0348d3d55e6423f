import { describe, expect, it } from 'vitest';
import type { SyncEvent } from '../federation/index.ts';
import { FederationProgressTracker } from './federation-progress.ts';

function tracker() {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const t = new FederationProgressTracker(() => now);
  return { t, advance: (ms: number) => (now += ms) };
}

const training = (epoch: number, batch: number, loss: number): SyncEvent => ({
  type: 'training',
  taskId: 't1',
  round: 1,
  epoch,
  epochs: 2,
  batch,
  batches: 4,
  loss,
});

describe('FederationProgressTracker', () => {
  it('measures images per second and time left from the batches seen, after the first one', () => {
    const { t, advance } = tracker();
    t.record({ type: 'task-started', taskId: 't1', name: 'Nodules', joined: false });
    t.record({
      type: 'round-started',
      taskId: 't1',
      round: 1,
      baseVersion: 0,
      train: 32,
      validation: 8,
      resumed: false,
    });
    t.record(training(1, 1, 0.9));
    let task = t.snapshot({ enrolled: true, running: true, pausedByUser: false }).tasks[0]!;
    expect(task.phase).toBe('training');
    expect(task.training).toMatchObject({ epoch: 1, batch: 1, imagesPerSecond: null, secondsLeft: null });
    advance(2000);
    t.record(training(1, 3, 0.7));
    task = t.snapshot({ enrolled: true, running: true, pausedByUser: false }).tasks[0]!;
    // 2 batches of 8 images (32 images / 4 batches) in 2 s; 5 of 8 batches left at 1 s each.
    expect(task.training?.imagesPerSecond).toBeCloseTo(8);
    expect(task.training?.secondsLeft).toBeCloseTo(5);
  });

  it("shows the trainer's memory note beside its round's progress and in the log, not in the next round", () => {
    const { t } = tracker();
    const roundStarted = (round: number): SyncEvent => ({
      type: 'round-started',
      taskId: 't1',
      round,
      baseVersion: round - 1,
      train: 32,
      validation: 8,
      resumed: false,
    });
    const note =
      'Training resnet-18 at 224 px needs 2.2 GB for a batch of 32 and this backend can give training 2.0 GB: ' +
      'keeping the batch of 32 by recomputing activations in the backward pass.';
    t.record(roundStarted(1));
    t.record({ type: 'training-memory', taskId: 't1', round: 1, note });
    t.record(training(1, 1, 0.9));
    let snap = t.snapshot({ enrolled: true, running: true, pausedByUser: false });
    expect(snap.tasks[0]!.training?.memoryNote).toBe(note);
    expect(snap.log.at(-1)?.text).toBe(`Round 1: ${note}`);
    t.record(roundStarted(2));
    t.record({ ...training(1, 1, 0.8), round: 2 } as SyncEvent);
    snap = t.snapshot({ enrolled: true, running: true, pausedByUser: false });
    expect(snap.tasks[0]!.training?.memoryNote).toBeNull();
  });

  it('keeps the mean loss of each finished epoch and the metrics of each round', () => {
    const { t } = tracker();
    t.record({
      type: 'round-started',
      taskId: 't1',
      round: 1,
      baseVersion: 0,
      train: 32,
      validation: 8,
      resumed: false,
    });
    for (const [batch, loss] of [
      [1, 1.0],
      [2, 0.8],
      [3, 0.6],
      [4, 0.6],
    ] as const)
      t.record(training(1, batch, loss));
    t.record(training(2, 1, 0.5));
    t.record(training(2, 2, 0.3));
    const validation = { loss: 0.4, accuracy: 0.75, auc: 0.8, n: 8 };
    t.record({
      type: 'trained',
      taskId: 't1',
      round: 1,
      seconds: 3,
      examples: 32,
      resumedFromEpoch: 0,
      validation,
    });
    t.record({ type: 'round-published', taskId: 't1', round: 1, version: 1, patients: 6 });
    t.record({
      type: 'evaluated',
      taskId: 't1',
      version: 1,
      round: 1,
      metrics: { loss: 0.35, accuracy: 0.8, auc: 0.85, n: 8 },
      federated: { loss: null, auc: null, sites: 1 },
    });
    t.record({ type: 'task-ended', taskId: 't1', state: 'completed', reason: null });
    const task = t.snapshot({ enrolled: true, running: true, pausedByUser: false }).tasks[0]!;
    expect(task.epochs).toEqual([
      { round: 1, epoch: 1, loss: 0.75 },
      { round: 1, epoch: 2, loss: 0.4 },
    ]);
    expect(task.rounds).toEqual([
      {
        round: 1,
        local: { loss: 0.4, accuracy: 0.75, auc: 0.8 },
        global: { version: 1, loss: 0.35, accuracy: 0.8, auc: 0.85 },
      },
    ]);
    expect(task.roundsCompleted).toBe(1);
    expect(task).toMatchObject({ phase: 'ended', ended: { state: 'completed', reason: null } });
  });

  it('keeps a short log in words and the latest problem, and snapshots cannot change it', () => {
    const { t } = tracker();
    for (let i = 0; i < 60; i++) t.record({ type: 'problem', taskId: null, message: `hub unreachable ${i}` });
    const snap = t.snapshot({ enrolled: true, running: false, pausedByUser: false });
    expect(snap.log).toHaveLength(40);
    expect(snap.log.at(-1)?.text).toBe('Problem: hub unreachable 59');
    expect(snap.problem).toBe('hub unreachable 59');
    snap.log.length = 0;
    expect(t.snapshot({ enrolled: true, running: false, pausedByUser: false }).log).toHaveLength(40);
  });

  it('names a task by its name in the log, never by its raw id, once the loop has announced it', () => {
    const { t } = tracker();
    const id = 'task_c65baa0123456789';
    t.record({ type: 'task-started', taskId: id, name: 'Lung nodule', joined: true });
    t.record({ type: 'problem', taskId: id, message: 'the hub refused the update.' });
    t.record({ type: 'task-ended', taskId: id, state: 'completed', reason: null });
    const lines = t.snapshot({ enrolled: true, running: false, pausedByUser: false }).log.map((l) => l.text);
    expect(lines).toEqual([
      'Task "Lung nodule": taking part; waiting for rounds.',
      'Problem with task "Lung nodule": the hub refused the update.',
      'Task "Lung nodule" is completed.',
    ]);
    expect(lines.join('\n')).not.toContain(id);
  });

  it('learns whether the hub answers: unknown, unreachable while the loop retries, reachable once it answers', () => {
    const { t } = tracker();
    const facts = () => t.snapshot({ enrolled: true, running: true, pausedByUser: false });
    expect(facts()).toMatchObject({ hub: 'unknown', hubProblem: null, problem: null });
    t.record({
      type: 'retrying',
      taskId: 't1',
      attempt: 1,
      delayMs: 1000,
      message: 'The hub at https://hub.test does not answer.',
    });
    expect(facts()).toMatchObject({
      hub: 'unreachable',
      hubProblem: 'The hub at https://hub.test does not answer.',
      // A retry is not a lasting problem of the loop.
      problem: null,
    });
    t.record({
      type: 'round-state',
      taskId: 't1',
      round: 2,
      state: 'collecting',
      accepted: 0,
      quorum: 1,
      joined: 1,
    });
    expect(facts()).toMatchObject({ hub: 'reachable', hubProblem: null });
  });
});
