// One status for the whole site, derived from the agent's facts, so the dashboard, the Training page
// and the tray can never disagree ("Paused" beside "Training in round 7"). Pure: no clock, no I/O.
import type { FederationProgress, TaskProgress } from './federation-view.ts';

export type SiteActivityState =
  'not-connected' | 'connecting' | 'hub-unreachable' | 'idle' | 'training' | 'uploading' | 'paused' | 'error';

export interface SiteActivity {
  readonly state: SiteActivityState;
  /** One sentence for a person: what the site is doing now, and what to do when it needs them. */
  readonly sentence: string;
  /** How the screens colour it: ok (nothing needed), busy (working), attention (a person should act). */
  readonly tone: 'ok' | 'busy' | 'attention';
}

/** The facts the status is made from: what `federation:progress` answers. */
export type SiteActivityFacts = Pick<
  FederationProgress,
  'enrolled' | 'running' | 'pausedByUser' | 'hub' | 'hubProblem' | 'problem'
> & { tasks: readonly Pick<TaskProgress, 'name' | 'phase' | 'round' | 'ended' | 'training'>[] };

export function deriveSiteActivity(facts: SiteActivityFacts): SiteActivity {
  if (!facts.enrolled) {
    return {
      state: 'not-connected',
      sentence: 'Not connected to a hub: this site takes part in no training until it is connected.',
      tone: 'attention',
    };
  }
  if (facts.pausedByUser) {
    return {
      state: 'paused',
      sentence: 'Paused by you: no training and nothing sent to the hub until you press "Take part again".',
      tone: 'attention',
    };
  }
  if (!facts.running) {
    return {
      state: 'error',
      sentence: facts.problem
        ? `Stopped: ${facts.problem}`
        : 'Not taking part: RadFed is not following the hub now. Press "Take part again" to start.',
      tone: 'attention',
    };
  }
  const live = facts.tasks.filter((task) => !task.ended);
  // Local training goes on while the hub is away; anything that needs the hub says it cannot reach it.
  const training = live.find((task) => task.phase === 'training');
  if (training) {
    const round = training.training?.round ?? training.round;
    return {
      state: 'training',
      sentence: `Training "${training.name}"${round === null ? '' : ` in round ${round}`} on this computer.`,
      tone: 'busy',
    };
  }
  if (facts.hub === 'unreachable') {
    return {
      state: 'hub-unreachable',
      sentence: `The hub cannot be reached; RadFed keeps trying. ${facts.hubProblem ?? ''}`.trim(),
      tone: 'attention',
    };
  }
  const uploading = live.find((task) => task.phase === 'uploading');
  if (uploading) {
    return {
      state: 'uploading',
      sentence: `Sending the encrypted update for round ${uploading.round ?? '?'} of "${uploading.name}" to the hub.`,
      tone: 'busy',
    };
  }
  if (facts.problem) {
    return { state: 'error', sentence: `Needs attention: ${facts.problem}`, tone: 'attention' };
  }
  if (facts.hub === 'unknown') {
    return { state: 'connecting', sentence: 'Connecting to the hub…', tone: 'busy' };
  }
  const waiting = live[0];
  return {
    state: 'idle',
    sentence: waiting
      ? `Connected; waiting for the hub to open the next round of "${waiting.name}".`
      : facts.tasks.length > 0
        ? 'Connected; the tasks this site took part in have finished, so there is nothing to train now.'
        : 'Connected; no task is approved here yet, so there is nothing to train.',
    tone: 'ok',
  };
}
