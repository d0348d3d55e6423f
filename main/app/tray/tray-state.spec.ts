import { describe, expect, it } from 'vitest';
import {
  describeTrayState,
  INITIAL_TRAY_STATE,
  nextTrayState,
  TOOLTIP_MAX,
  type TrayInput,
} from './tray-state.ts';

const run = (...inputs: TrayInput[]) => inputs.reduce(nextTrayState, INITIAL_TRAY_STATE);
const view = (...inputs: TrayInput[]) => describeTrayState(run(...inputs));

const training = (round: number, epoch: number): TrayInput => ({
  type: 'training',
  taskId: 't1',
  round,
  epoch,
  epochs: 3,
  batch: 1,
  batches: 4,
  loss: 0.7,
});

describe('tray state from the agent events', () => {
  it('is idle, in words, with nothing going on', () => {
    expect(view()).toMatchObject({
      activity: 'idle',
      tooltip: 'RadFed\nIdle: nothing to do right now.',
      pauseLabel: 'Pause',
    });
  });

  it('follows a round: training, uploading, then idle again once the hub has the update', () => {
    const started: TrayInput = {
      type: 'round-started',
      taskId: 't1',
      round: 2,
      baseVersion: 1,
      train: 40,
      validation: 10,
      resumed: false,
    };
    expect(view(started)).toMatchObject({ activity: 'training', lines: ['Training round 2.'] });
    expect(view(started, training(2, 1)).lines).toEqual(['Training round 2 (epoch 2 of 3).']);
    const uploading: TrayInput = {
      type: 'uploading',
      taskId: 't1',
      round: 2,
      sentBytes: 250,
      totalBytes: 1000,
    };
    expect(view(started, training(2, 2), uploading)).toMatchObject({
      activity: 'uploading',
      lines: ['Sending the round 2 update to the hub (25%).'],
    });
    const submitted: TrayInput = {
      type: 'submitted',
      taskId: 't1',
      round: 2,
      bytes: 1000,
      resumedFromBytes: 0,
      seconds: 1,
    };
    expect(view(started, uploading, submitted).activity).toBe('idle');
  });

  it('shows ingesting with counts while studies arrive', () => {
    expect(view({ type: 'ingest', active: true, done: 3, total: 10 })).toMatchObject({
      activity: 'ingesting',
      lines: ['Receiving and de-identifying studies (3 of 10 files).'],
    });
    expect(view({ type: 'ingest', active: true }, { type: 'ingest', active: false }).activity).toBe('idle');
  });

  it('puts a task waiting for approval above training, and an error above everything', () => {
    const waiting: TrayInput = { type: 'approvals', waiting: [{ taskId: 't2', name: 'Pneumothorax' }] };
    const both = view(training(1, 0), waiting);
    expect(both.activity).toBe('waiting-for-approval');
    expect(both.lines).toEqual([
      'Task "Pneumothorax" is waiting for your approval.',
      'Training round 1 (epoch 1 of 3).',
    ]);
    const problem: TrayInput = { type: 'problem', taskId: 't1', message: 'The hub certificate has expired.' };
    expect(view(training(1, 0), waiting, problem)).toMatchObject({ activity: 'error' });
    expect(view(problem).lines[0]).toBe('Needs attention: The hub certificate has expired.');
  });

  it('clears a problem when work moves forward again, but not on a retry', () => {
    const problem: TrayInput = { type: 'problem', taskId: 't1', message: 'Hub unreachable.' };
    const retry: TrayInput = {
      type: 'retrying',
      taskId: 't1',
      attempt: 1,
      delayMs: 1000,
      message: 'Hub busy.',
    };
    expect(view(problem, retry).activity).toBe('error');
    expect(view(problem, training(3, 0)).activity).toBe('training');
  });

  it('offers Resume while paused and says that nothing trains', () => {
    const paused = view(training(1, 0), { type: 'paused', paused: true });
    expect(paused).toMatchObject({ activity: 'idle', pauseLabel: 'Resume' });
    expect(paused.lines).toEqual(['Federation paused: no training or uploads until you resume.']);
  });

  it('keeps the tooltip within what Windows shows', () => {
    const long = view(training(1, 0), { type: 'app-problem', message: 'x'.repeat(300) });
    expect(long.tooltip.length).toBe(TOOLTIP_MAX);
    expect(long.tooltip.endsWith('\u2026')).toBe(true);
  });
});
