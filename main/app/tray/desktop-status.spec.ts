import { describe, expect, it } from 'vitest';
import {
  deriveSiteActivity,
  type FederationProgress,
  type FederationTaskItem,
  type TaskProgress,
} from '../../../shared/ipc/index.ts';
import { DesktopStatus, waitingTasks, type DesktopNotice, type TrayView } from './index.ts';

function task(id: string, overrides: Partial<FederationTaskItem> = {}): FederationTaskItem {
  return {
    id,
    name: `Task ${id}`,
    state: 'active',
    rounds: 3,
    labels: ['normal', 'nodule'],
    approval: null,
    declinedAt: null,
    summary: [],
    problem: null,
    privacyBudget: 'Not set',
    ...overrides,
  };
}

describe('DesktopStatus', () => {
  it('draws the tray on every input and raises the notices the policy allows', () => {
    const views: TrayView[] = [];
    const notices: DesktopNotice[] = [];
    const status = new DesktopStatus({
      render: (v) => views.push(v),
      notify: (n) => notices.push(n),
      notificationsEnabled: () => true,
    });
    expect(views.at(-1)?.activity).toBe('idle');
    status.apply({ type: 'approvals', waiting: waitingTasks([task('t1')]) });
    expect(views.at(-1)?.activity).toBe('waiting-for-approval');
    expect(notices.map((n) => n.title)).toEqual(['A task is waiting for your approval']);
  });

  it("reads paused and a failed loop from the progress snapshot, in the status model's words", () => {
    const views: TrayView[] = [];
    const status = new DesktopStatus({
      render: (v) => views.push(v),
      notify: () => undefined,
      notificationsEnabled: () => false,
    });
    status.applyProgress(progress({ running: false, pausedByUser: true }));
    expect(views.at(-1)?.pauseLabel).toBe('Resume');
    expect(views.at(-1)?.lines[0]).toMatch(/^Paused by you/);
    status.applyProgress(
      progress({ problem: 'The hub refused this site: its certificate was revoked.', hub: 'reachable' }),
    );
    expect(views.at(-1)).toMatchObject({ activity: 'error', pauseLabel: 'Pause' });
    // Training while the hub is away: one line, the same sentence the dashboard shows, never "Paused".
    const training = progress({
      hub: 'unreachable',
      tasks: [taskProgress({ phase: 'training', round: 7 })],
    });
    status.applyProgress(training);
    expect(views.at(-1)?.lines).toEqual([deriveSiteActivity(training).sentence]);
    expect(views.at(-1)?.tooltip).not.toMatch(/paused/i);
    // A site not enrolled yet is not "paused": there is nothing to resume.
    const fresh = new DesktopStatus({
      render: (v) => views.push(v),
      notify: () => undefined,
      notificationsEnabled: () => true,
    });
    fresh.applyProgress(progress({ enrolled: false, running: false }));
    expect(fresh.state.paused).toBe(false);
    expect(views.at(-1)?.lines[0]).toMatch(/^Not connected to a hub/);
  });
});

function progress(overrides: Partial<FederationProgress> = {}): FederationProgress {
  return {
    enrolled: true,
    running: true,
    pausedByUser: false,
    hub: 'reachable',
    hubProblem: null,
    problem: null,
    tasks: [],
    log: [],
    ...overrides,
  };
}

function taskProgress(overrides: Partial<TaskProgress>): TaskProgress {
  return {
    taskId: 't1',
    name: 'Nodules',
    round: null,
    roundState: null,
    acceptedUpdates: 0,
    quorum: 1,
    phase: 'waiting',
    training: null,
    epochs: [],
    rounds: [],
    roundsCompleted: 0,
    ended: null,
    ...overrides,
  };
}

describe('waitingTasks', () => {
  it('keeps only active tasks with no decision and nothing stopping approval', () => {
    const items = [
      task('a'),
      task('b', { approval: { at: '2025-01-01T00:00:00Z', by: 'operator', cohortTaskId: 'c' } }),
      task('c', { declinedAt: '2025-01-01T00:00:00Z' }),
      task('d', { state: 'completed' }),
      task('e', { problem: 'No site task has these labels.' }),
    ];
    expect(waitingTasks(items)).toEqual([{ taskId: 'a', name: 'Task a' }]);
  });
});
