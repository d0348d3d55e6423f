// How long each phase of a secure round waits, scaled to how long the task's rounds actually take.
// A fixed wait (the task's phaseSeconds, its round deadline for training) leaves a slow site out, or
// fails the round, on a machine that is busy or a model that is large; a wait far above what rounds
// take keeps a federation waiting for a site that is gone. So each phase waits a stretch of the
// slowest time it took in the task's last rounds, never less than the task's own setting (the floor)
// and never more than a ceiling. The observations are read from the rows the hub already keeps for
// every round (when each site sent keys, shares and its masked input; when the round opened and went
// to aggregation), so a hub restarted at any point computes the same deadlines.
import type { TaskDefinition } from '../../shared/federation/index.ts';
import type { HubContext } from '../hub-context.ts';
import { SecAggRows, type StoredPhase } from './secagg-rows.ts';
import type { HubRows } from '../store/index.ts';

/** A phase gets this many times the slowest it took lately: room for a busier machine than last time. */
export const DEADLINE_STRETCH = 3;
/** Published (or failed) rounds looked back on. */
export const OBSERVED_ROUNDS = 5;
/** Training (the keys phase) may be given up to this many times the task's round deadline. */
export const TRAINING_CEILING_FACTOR = 4;

export interface PhaseWait {
  /** The task's own setting: never waited less. */
  readonly floorSeconds: number;
  /** Never waited more, however slow rounds were. */
  readonly ceilingSeconds: number;
}

/**
 * The bounds of each phase's wait. Keys (training first): the task's round deadline up to
 * TRAINING_CEILING_FACTOR times it. Shares, masked input, unmasking: the task's phaseSeconds up to its
 * round deadline (a single phase never needs longer than a whole round was meant to take).
 */
export function phaseWaitBounds(phase: StoredPhase, definition: TaskDefinition): PhaseWait {
  const round = definition.roundDeadlineSeconds;
  if (phase === 'advertising')
    return { floorSeconds: round, ceilingSeconds: round * TRAINING_CEILING_FACTOR };
  const floor = definition.privacy.secureAggregation.phaseSeconds;
  return { floorSeconds: floor, ceilingSeconds: Math.max(floor, round) };
}

/** The rule: DEADLINE_STRETCH × the slowest observed time, within the phase's floor and ceiling. */
export function phaseDeadlineSeconds(bounds: PhaseWait, observedSeconds: readonly number[]): number {
  const slowest = observedSeconds.length > 0 ? Math.max(...observedSeconds) : 0;
  const stretched = Math.ceil(DEADLINE_STRETCH * slowest);
  return Math.min(bounds.ceilingSeconds, Math.max(bounds.floorSeconds, stretched));
}

const seconds = (from: string | null | undefined, to: string | null | undefined): number | null => {
  if (!from || !to) return null;
  const value = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(value) ? Math.max(0, value) : null;
};
const latest = (values: readonly (string | null)[]): string | null =>
  values
    .filter((v): v is string => v !== null)
    .reduce<string | null>((a, b) => (a === null || b > a ? b : a), null);

/**
 * Seconds each phase took in the task's last rounds before `beforeRound`, from the stored rows: a
 * phase ends when its last site acted. In a round that failed, the phase it failed in took at least
 * its whole wait (it ran out), which is what the next round must allow more than.
 */
export async function observedPhaseSeconds(
  store: HubRows,
  taskId: string,
  beforeRound: number,
): Promise<Record<StoredPhase, number[]>> {
  const rows = new SecAggRows(store.sql);
  const observed: Record<StoredPhase, number[]> = {
    advertising: [],
    sharing: [],
    masking: [],
    unmasking: [],
  };
  const past = (await store.tasks.rounds(taskId))
    .filter((r) => r.number < beforeRound && (r.state === 'published' || r.state === 'failed'))
    .slice(-OBSERVED_ROUNDS);
  for (const round of past) {
    const state = await rows.round(taskId, round.number);
    if (!state) continue;
    if (round.state === 'failed') {
      const ranOut = seconds(state.phase_started_at, state.deadline_at);
      if (ranOut !== null && round.aggregating_at === null) observed[state.phase].push(ranOut);
      continue;
    }
    const placed = (await rows.participants(taskId, round.number)).filter((p) => p.position !== null);
    const keysIn = latest(placed.map((p) => p.advertised_at));
    const sharesIn = latest(placed.map((p) => p.shared_at));
    const maskedIn = latest(
      (await store.uploads.acceptedUpdates(taskId, round.number)).map((s) => s.created_at),
    );
    const phases: [StoredPhase, number | null][] = [
      ['advertising', seconds(round.collecting_at, keysIn)],
      ['sharing', seconds(keysIn, sharesIn)],
      ['masking', seconds(sharesIn, maskedIn)],
      ['unmasking', seconds(maskedIn, round.aggregating_at)],
    ];
    for (const [phase, value] of phases) if (value !== null) observed[phase].push(value);
  }
  return observed;
}

/** When the phase entered now must end, for round `round` of the task (an ISO time). */
export async function phaseDeadlineAt(
  ctx: HubContext,
  rows: HubRows,
  taskId: string,
  definition: TaskDefinition,
  round: number,
  phase: StoredPhase,
  /** When the phase starts (ms); the caller's one clock reading, so the stored wait is exact. */
  startsAt: number = ctx.now(),
): Promise<string> {
  const wait = phaseDeadlineSeconds(
    phaseWaitBounds(phase, definition),
    (await observedPhaseSeconds(rows, taskId, round))[phase],
  );
  return new Date(startsAt + wait * 1000).toISOString();
}
