import { describe, expect, it } from 'vitest';
import { NotificationPolicy, PROBLEM_REPEAT_MS, ROUND_NOTICE_GAP_MS } from './notification-policy.ts';

function policy(enabled = true) {
  let now = 1_000_000;
  let on = enabled;
  const p = new NotificationPolicy(
    () => on,
    () => now,
  );
  return {
    p,
    advance: (ms: number) => (now += ms),
    setEnabled: (value: boolean) => (on = value),
  };
}

const published = (round: number) =>
  ({ type: 'round-published', taskId: 't1', round, version: round, patients: 12 }) as const;

describe('NotificationPolicy', () => {
  it('announces each task waiting for approval once', () => {
    const { p } = policy();
    const first = p.decide({ type: 'approvals', waiting: [{ taskId: 't1', name: 'Pneumothorax' }] });
    expect(first).toEqual([
      expect.objectContaining({ title: 'A task is waiting for your approval', page: 'training' }),
    ]);
    expect(first[0]?.body).toContain('"Pneumothorax"');
    expect(p.decide({ type: 'approvals', waiting: [{ taskId: 't1', name: 'Pneumothorax' }] })).toEqual([]);
    const second = p.decide({
      type: 'approvals',
      waiting: [
        { taskId: 't1', name: 'Pneumothorax' },
        { taskId: 't2', name: 'Effusion' },
      ],
    });
    expect(second).toHaveLength(1);
    expect(second[0]?.body).toContain('"Effusion"');
  });

  it('tells of a finished round at most once per task in the gap, and always of the task end', () => {
    const { p, advance } = policy();
    p.decide({ type: 'task-started', taskId: 't1', name: 'Pneumothorax', joined: true });
    expect(p.decide(published(1))).toEqual([
      {
        title: 'Round 1 finished',
        body: 'Task "Pneumothorax": global model version 1 is ready.',
        page: 'training',
      },
    ]);
    expect(p.decide(published(2))).toEqual([]);
    advance(ROUND_NOTICE_GAP_MS);
    expect(p.decide(published(3))).toHaveLength(1);
    expect(p.decide({ type: 'task-ended', taskId: 't1', state: 'completed', reason: null })).toEqual([
      { title: 'Task finished', body: 'Task "Pneumothorax" is completed.', page: 'training' },
    ]);
  });

  it('tells of an error needing a person, not of retries, and not the same sentence again soon', () => {
    const { p, advance } = policy();
    expect(
      p.decide({ type: 'retrying', taskId: null, attempt: 1, delayMs: 10, message: 'Hub busy.' }),
    ).toEqual([]);
    const problem = { type: 'problem', taskId: null, message: 'The hub certificate has expired.' } as const;
    expect(p.decide(problem)).toEqual([
      { title: 'RadFed needs your attention', body: 'The hub certificate has expired.', page: 'dashboard' },
    ]);
    expect(p.decide(problem)).toEqual([]);
    advance(PROBLEM_REPEAT_MS);
    expect(p.decide(problem)).toHaveLength(1);
    expect(
      p.decide({ type: 'refused', taskId: 't1', round: 2, reason: 'the round had closed' }),
    ).toHaveLength(1);
  });

  it('stays silent when notifications are off, without saving up old news for later', () => {
    const { p, setEnabled } = policy(false);
    expect(p.decide({ type: 'approvals', waiting: [{ taskId: 't1', name: 'A' }] })).toEqual([]);
    expect(p.decide(published(1))).toEqual([]);
    setEnabled(true);
    expect(p.decide({ type: 'approvals', waiting: [{ taskId: 't1', name: 'A' }] })).toEqual([]);
  });
});
