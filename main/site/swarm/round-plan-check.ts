// What a member takes from a round leader's secure-aggregation plan: the swarm's side of the one rule
// of what "the plan matches the task" means (shared/node/secagg/round-plan.ts, which a hub site checks
// the hub's plan by too), for the leader that plans (round-secagg-leader.ts) and the members that check
// (round-secagg-member.ts). In a swarm the leader is a member like any other, and a hostile one could
// otherwise send a tiny clip range (every update zeroed or saturated), other bits (the sum wraps or
// loses its precision), a threshold of 1 or a neighbourhood of 2 (it rebuilds one member's masks alone:
// a privacy break), a weight cap that flattens the weighting, or participants the member never saw in
// the round's seed (members it plays itself, holding the shares of the victim's masks).
//
// The swarm task leaves the leader no choice: n is the members it plans with (no more than the seed's
// order from this leader on, and no fewer than differential privacy's minimum), and everything else
// follows from n and the task exactly as an honest leader computes it, so a member compares for
// equality (numbers cross JSON exactly).
import { leastUpdatesInSecureSum, type SecAggPlan } from '../../../shared/federation/index.ts';
import {
  planMismatch as sharedPlanMismatch,
  planValuesFor,
  survivorsMismatch as sharedSurvivorsMismatch,
  type PlanMismatch,
  type PlanValues,
} from '../../../shared/node/secagg/index.ts';
import type { SwarmTask } from './swarm-task.ts';

export type { PlanField, PlanMismatch } from '../../../shared/node/secagg/index.ts';

/** The task's parts a plan is checked against. */
export type PlanTask = Pick<SwarmTask, 'secureAggregation' | 'differentialPrivacy'>;

/** What the task fixes of a plan, for n participants; the seed and n are the leader's. */
export type TaskPlanValues = PlanValues;

/** A leader's plan this member refused, for its log, its audit log and its operator. */
export interface PlanRefusal extends PlanMismatch {
  readonly round: number;
  /** The round's start (1, then 2, … for a round started again). */
  readonly attempt: number;
  readonly leader: string;
  /** The sentence the leader is answered with, and the operator reads. */
  readonly sentence: string;
}

/**
 * Every value of the plan an honest leader makes for `participants` members under `task`: the shared
 * rule (shared/node/secagg/round-plan.ts) with the swarm task's settings, which fix no neighbourhood
 * or threshold of their own.
 */
export function taskPlanValues(
  task: Pick<SwarmTask, 'secureAggregation'>,
  participants: number,
): TaskPlanValues {
  const { clipRange, statisticsClipRange, bits } = task.secureAggregation;
  return planValuesFor({ clipRange, statisticsClipRange, bits }, participants);
}

/**
 * Why `plan` is not the plan `task` gives, or null when it is. `room`: the most members the leader may
 * plan with (the round's order from this leader on; the leaders before it are taken as failed).
 */
export function planMismatch(
  plan: Omit<SecAggPlan, 'seed'>,
  task: PlanTask,
  room: number,
): PlanMismatch | null {
  const { clipRange, statisticsClipRange, bits } = task.secureAggregation;
  return sharedPlanMismatch(
    plan,
    { clipRange, statisticsClipRange, bits },
    { least: leastParticipants(task), most: room },
  );
}

/**
 * Why the leader's participant list is not one this member may mask with, or null: every participant
 * must be in the round's order from this leader on (`allowed`: members whose reveal made the seed, less
 * the leaders before this one), and carry round keys that member signed for this attempt
 * (round-key-signature.ts); otherwise the leader could play members of its own, or pass its own keys
 * off as a neighbour's, and hold every share of a member's masks.
 */
export function participantListMismatch(
  participants: readonly { readonly siteId: string; readonly keysSigned: boolean }[],
  allowed: readonly string[],
): PlanMismatch | null {
  const strangers = participants.filter((p) => !allowed.includes(p.siteId)).length;
  const s = (n: number) => (n === 1 ? '' : 's');
  if (strangers > 0)
    return {
      field: 'participant-list',
      planned: strangers,
      expected: 0,
      problem: `the participant list names ${strangers} member${s(strangers)} not in this round's seed from this leader on.`,
    };
  const unsigned = participants.filter((p) => !p.keysSigned).length;
  if (unsigned > 0)
    return {
      field: 'participant-keys',
      planned: unsigned,
      expected: 0,
      problem: `the round keys of ${unsigned} participant${s(unsigned)} are not the keys that member signed for this leader's plan.`,
    };
  return null;
}

/**
 * The fewest updates a secure sum of `task` may hold: the task's own minimum, differential privacy's
 * (a sum of fewer carries too little noise), and never fewer than 2.
 */
export function leastParticipants(task: PlanTask): number {
  return Math.max(
    2,
    task.secureAggregation.minimumParticipants ?? 2,
    task.differentialPrivacy?.minimumParticipants ?? 2,
  );
}

/**
 * The fewest updates the leader may unmask in a round planned for `planned` members: the task's minimum,
 * and 3 once the round was planned for 3 or more, as at a hub (leastUpdatesInSecureSum): in a sum of two,
 * each of the two reads the other's update, and members that began a round of three never see one
 * through a dropout.
 */
export function leastSurvivors(task: PlanTask, planned: number): number {
  return leastUpdatesInSecureSum(leastParticipants(task), planned);
}

/**
 * Why the leader may not unmask a sum of `survivors` updates of a round planned for `planned`: fewer
 * than leastSurvivors. A leader that calls honest members dropped could otherwise make a sum of its own
 * update and one victim's (and learn the victim's); under DP the sum would carry too little noise. An
 * honest leader never commits such a sum; a hostile one would still learn it, so a member gives no share for it.
 */
export function survivorsMismatch(survivors: number, task: PlanTask, planned: number): PlanMismatch | null {
  return sharedSurvivorsMismatch(survivors, leastSurvivors(task, planned), 'the leader');
}
