import { describe, expect, it } from 'vitest';
import type { FederationTaskItem } from '../../../shared/ipc/index.ts';
import { DesktopStatus, waitingTasks, type DesktopNotice, type TrayView } from './index.ts';

function task(id: string, overrides: Partial<FederationTaskItem> = {}): FederationTaskItem {
  return {
    id,
    name: `Task ${id}`,
    state: 'active',
    rounds: 3,
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

  it('reads paused and a failed loop from the progress snapshot', () => {
    const views: TrayView[] = [];
    const status = new DesktopStatus({
      render: (v) => views.push(v),
      notify: () => undefined,
      notificationsEnabled: () => false,
    });
    status.applyProgress({ enrolled: true, running: false, problem: null });
    expect(views.at(-1)?.pauseLabel).toBe('Resume');
    status.applyProgress({
      enrolled: true,
      running: true,
      problem: 'The hub refused this site: its certificate was revoked.',
    });
    expect(views.at(-1)).toMatchObject({ activity: 'error', pauseLabel: 'Pause' });
    // A site not enrolled yet is not "paused": there is nothing to resume.
    const fresh = new DesktopStatus({
      render: (v) => views.push(v),
      notify: () => undefined,
      notificationsEnabled: () => true,
    });
    fresh.applyProgress({ enrolled: false, running: false, problem: null });
    expect(fresh.state.paused).toBe(false);
  });
});

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
