// The one status model: each of the agent's situations gives one state and one sentence, and the
// contradictions people saw ("Paused" beside "Training in round 7", "Paused" for a site never
// connected, a healthy-looking dashboard with the hub down) cannot come out of it.
import { describe, expect, it } from 'vitest';
import type { TaskProgress } from './federation-view.ts';
import { deriveSiteActivity, type SiteActivityFacts } from './site-activity.ts';

const facts = (overrides: Partial<SiteActivityFacts> = {}): SiteActivityFacts => ({
  enrolled: true,
  running: true,
  pausedByUser: false,
  hub: 'reachable',
  hubProblem: null,
  problem: null,
  tasks: [],
  ...overrides,
});

const task = (overrides: Partial<TaskProgress>): SiteActivityFacts['tasks'][number] => ({
  name: 'Nodules',
  phase: 'waiting',
  round: null,
  ended: null,
  training: null,
  ...overrides,
});

describe('deriveSiteActivity', () => {
  it('says "not connected" for a site without a hub, never "paused"', () => {
    const activity = deriveSiteActivity(facts({ enrolled: false, running: false }));
    expect(activity.state).toBe('not-connected');
    expect(activity.sentence).not.toMatch(/paus/i);
  });

  it('says "paused" only when the person paused, even while a task was mid-round', () => {
    const activity = deriveSiteActivity(
      facts({ running: false, pausedByUser: true, tasks: [task({ phase: 'training', round: 7 })] }),
    );
    expect(activity).toMatchObject({ state: 'paused', tone: 'attention' });
    expect(activity.sentence).not.toMatch(/round 7/);
  });

  it('says training with the round, and nothing about pausing, while a task trains', () => {
    const activity = deriveSiteActivity(facts({ tasks: [task({ phase: 'training', round: 7 })] }));
    expect(activity.state).toBe('training');
    expect(activity.sentence).toBe('Training "Nodules" in round 7 on this computer.');
  });

  it('says the hub cannot be reached when it is down, with the reason, instead of looking healthy', () => {
    const activity = deriveSiteActivity(
      facts({ hub: 'unreachable', hubProblem: 'The hub at https://hub.test does not answer.' }),
    );
    expect(activity).toMatchObject({ state: 'hub-unreachable', tone: 'attention' });
    expect(activity.sentence).toContain('does not answer');
    // An upload waiting on a hub that is down is the hub's problem, not "uploading".
    expect(
      deriveSiteActivity(facts({ hub: 'unreachable', tasks: [task({ phase: 'uploading', round: 2 })] }))
        .state,
    ).toBe('hub-unreachable');
  });

  it('says connecting before the hub has answered, idle once it has, and uploading while sending', () => {
    expect(deriveSiteActivity(facts({ hub: 'unknown' })).state).toBe('connecting');
    const idle = deriveSiteActivity(facts({ tasks: [task({ round: 3 })] }));
    expect(idle).toMatchObject({ state: 'idle', tone: 'ok' });
    expect(idle.sentence).toContain('waiting for the hub to open the next round of "Nodules"');
    expect(deriveSiteActivity(facts()).sentence).toContain('no task is approved here yet');
    expect(deriveSiteActivity(facts({ tasks: [task({ phase: 'uploading', round: 2 })] })).state).toBe(
      'uploading',
    );
  });

  it('says error with the problem when the loop stopped or reports one, and ignores ended tasks', () => {
    expect(deriveSiteActivity(facts({ running: false, problem: 'Out of disk.' }))).toMatchObject({
      state: 'error',
      sentence: 'Stopped: Out of disk.',
    });
    expect(deriveSiteActivity(facts({ running: false })).state).toBe('error');
    expect(deriveSiteActivity(facts({ problem: 'Task 3 changed at the hub.' })).state).toBe('error');
    const ended = task({ phase: 'training', ended: { state: 'completed', reason: null } });
    expect(deriveSiteActivity(facts({ tasks: [ended] }))).toMatchObject({
      state: 'idle',
      sentence:
        'Connected; the tasks this site took part in have finished, so there is nothing to train now.',
    });
  });
});
