// What a secure round's plan must be, given the task's secure-aggregation settings and the number of
// participants: the one rule for whoever plans (the hub, a swarm's round leader) and whoever checks a
// plan before it masks anything (a hub site, a swarm member). Everything but the seed and n follows
// from the settings and n, so a checker compares for equality (numbers cross JSON exactly). A plan
// that differs is how a hostile combiner would learn one update: a tiny clip range (every update
// zeroed or saturated), other levels (the sum wraps or loses its precision), a neighbourhood or a
// threshold below a majority (it rebuilds one participant's masks alone), or a weight cap that
// flattens the weighting. Here because it needs the neighbourhood and quantisation math of this room.
import { secureAggregationSchema, type SecAggPlan } from '../../federation/index.ts';
import { neighbourhoodSize, thresholdFor } from './neighbourhood.ts';
import { weightCapFor } from './quantisation.ts';
import { SecureAggregationError } from './secagg-error.ts';

/** The settings a plan follows from (a hub task's privacy.secureAggregation, a swarm task's). */
export interface PlanSettings {
  readonly clipRange: number;
  /** Absent: the hub tasks' default (±64), never the clip range (every statistic would be cut). */
  readonly statisticsClipRange?: number | undefined;
  readonly bits: number;
  /** k when the task fixes it (hub tasks may); absent: 2·⌈log₂ n⌉ + 1. */
  readonly neighbours?: number | undefined;
  /** t when the task fixes it (hub tasks may); absent: a majority of the neighbourhood. */
  readonly threshold?: number | undefined;
}

/** What the settings fix of a plan for n participants; the seed and n are the planner's. */
export type PlanValues = Omit<SecAggPlan, 'seed' | 'participants'>;

export type PlanField =
  | 'participants'
  | 'levels'
  | 'clipRange'
  | 'statisticsClipRange'
  | 'neighbours'
  | 'threshold'
  | 'weightCap'
  | 'participant-list'
  | 'participant-keys'
  | 'survivors'
  /** Contradicts what the combiner said earlier in the round (another plan, neighbourhood or survivor list). */
  | 'changed-plan';

/** A plan (or a later message of the combiner) that does not match the task: which field, and by what. */
export interface PlanMismatch {
  readonly field: PlanField;
  /** What the combiner sent (a number, never its text); null when it sent none. */
  readonly planned: number | null;
  /** What the task says, as a number where one value is right. */
  readonly expected: number | null;
  /** Plain words: what the field is, what the combiner sent and what the task says. */
  readonly problem: string;
}

/** The statistics range of a task that names none: the hub tasks' default, from the shared settings. */
const DEFAULT_STATISTICS_CLIP_RANGE = secureAggregationSchema.parse({}).statisticsClipRange;

/** Every value of the plan an honest planner makes for `participants` under `settings`. */
export function planValuesFor(settings: PlanSettings, participants: number): PlanValues {
  const levels = 2 ** settings.bits;
  const neighbours = neighbourhoodSize(participants, settings.neighbours);
  return {
    neighbours,
    // A majority of each neighbourhood unless the task says more: fewer shares would let the combiner
    // rebuild a participant's masks alone.
    threshold: thresholdFor(neighbours, settings.threshold),
    clipRange: settings.clipRange,
    // Without it the running statistics are clipped to clipRange (±0.5 by default): cut every round.
    statisticsClipRange: settings.statisticsClipRange ?? DEFAULT_STATISTICS_CLIP_RANGE,
    levels,
    weightCap: weightCapFor(participants, levels),
  };
}

/**
 * Why `plan` is not the plan `settings` give, or null when it is. `least`: the fewest participants the
 * task allows in a sum; `most`: the most this round may have (null: the checker cannot bound it).
 */
export function planMismatch(
  plan: Omit<SecAggPlan, 'seed'>,
  settings: PlanSettings,
  bounds: { readonly least: number; readonly most: number | null },
): PlanMismatch | null {
  const n = plan.participants;
  const { least, most } = bounds;
  if (!Number.isInteger(n) || n < least || (most !== null && n > most))
    return {
      field: 'participants',
      planned: n,
      expected: null,
      problem:
        `the plan counts ${n} participants, and this round allows ${most === null ? `at least ${least}` : `${least} to ${most}`}` +
        (least > 2 ? ` (the task needs ${least} updates in a sum)` : '') +
        '.',
    };
  let expected: PlanValues;
  try {
    expected = planValuesFor(settings, n);
  } catch (error) {
    if (!(error instanceof SecureAggregationError)) throw error;
    // The task's own neighbourhood or threshold cannot work with n: no honest planner gets here.
    return {
      field: 'participants',
      planned: n,
      expected: null,
      problem: `the plan counts ${n} participants, for which the approved task's secure-aggregation settings give no plan.`,
    };
  }
  // The quantisation first (what would harm the model), then what would harm a participant's privacy.
  for (const field of FIELDS) {
    const value = plan[field];
    const wanted = expected[field];
    if (value === wanted) continue;
    const planned = typeof value === 'number' ? value : null;
    return {
      field,
      planned,
      expected: wanted ?? null,
      problem: `${FIELD_WORDS[field]} is ${planned ?? 'missing'} in the plan; the approved task says ${wanted} for ${n} participants.`,
    };
  }
  return null;
}

const FIELDS = [
  'levels',
  'clipRange',
  'statisticsClipRange',
  'neighbours',
  'threshold',
  'weightCap',
] as const;

const FIELD_WORDS: Record<(typeof FIELDS)[number], string> = {
  levels: 'the number of quantisation levels (2^bits)',
  clipRange: 'the clip range of the updates',
  statisticsClipRange: "the clip range of batch norm's running statistics",
  neighbours: 'the neighbourhood size',
  threshold: 'the share threshold',
  weightCap: "the cap on a participant's weight",
};

/**
 * Why the combiner may not unmask a sum of `survivors` updates: fewer than the task's `least`. A
 * combiner that calls honest participants dropped could otherwise unmask a sum of one victim's update
 * and its own (and learn the victim's); under DP the sum would carry too little noise. An honest one
 * never asks for such a sum; a hostile one would still learn it, so no share is given for it.
 */
export function survivorsMismatch(
  survivors: number,
  least: number,
  /** Who would unmask, in words: "the leader", "the hub". */
  combiner: string,
): PlanMismatch | null {
  if (survivors >= least) return null;
  return {
    field: 'survivors',
    planned: survivors,
    expected: least,
    problem: `${combiner} would unmask a sum of ${survivors} updates; the task needs ${least} in a sum.`,
  };
}
