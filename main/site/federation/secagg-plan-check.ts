// What a site checks in the hub's plan for a secure round before it gives anything of its own (key
// shares, its masked update, shares that unmask a sum). The hub is at best honest but curious; one
// that is misconfigured or compromised could otherwise learn a single site's update: a clip range that
// zeroes or saturates it, a threshold or neighbourhood below a majority, a plan for fewer sites than
// the task's quorum, or unmask shares for a sum in which the site is the only honest survivor.
//
// - The plan's values: exactly what the approved task gives for the plan's count of sites (the rule a
//   swarm member applies to its leader, shared/node/secagg/round-plan.ts), and at least the quorum (a
//   secure round needs that many, and DP's noise is shared among that many), at most the sites the
//   task names.
// - The neighbourhood the hub lists: this site once, at its position, no site or position twice, the
//   positions the plan's ring gives, no round keys shared by two sites.
// - At unmasking: survivors and dropouts are neighbours; when the neighbourhood is the whole round (a
//   federation of up to about nine sites) the survivors are the sum, and fewer than the quorum get no
//   share. In a larger federation a site sees only its neighbourhood, of which the threshold (a
//   majority) must have survived (revealShares).
// A site cannot tell a real site from one the hub enrolled itself (a sybil whose keys it holds): the
// coordinator's enrollment audit and the task's quorum are the defences there (docs/secure-aggregation.md).
import {
  leastUpdatesInSecureSum,
  type SecAggPhase,
  type SecAggView,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import {
  neighboursOf,
  planMismatch,
  survivorsMismatch,
  type PlanMismatch,
} from '../../../shared/node/secagg/index.ts';

/** A hub plan this site refused, for its audit log and its operator. */
export interface HubPlanRefusal extends PlanMismatch {
  readonly round: number;
  /** The phase in which the site refused (what it held back). */
  readonly phase: Extract<SecAggPhase, 'sharing' | 'masking' | 'unmasking'>;
  /** Whether its masked update had left before the refusal (masked: nothing the hub can unmask alone). */
  readonly maskedInputSent: boolean;
  /** The sentence the operator reads (numbers only, nothing of the hub's text). */
  readonly sentence: string;
}

/** The fewest updates a secure sum of this task may hold: its quorum, and never fewer than 2. */
export function leastSitesInSum(definition: Pick<TaskDefinition, 'quorum'>): number {
  return Math.max(2, definition.quorum);
}

/** Why this site may not share keys or mask under `view`'s plan, or null (no plan yet: nothing to check). */
export function hubPlanMismatch(
  view: Pick<SecAggView, 'plan' | 'position' | 'neighbours'>,
  siteId: string,
  definition: Pick<TaskDefinition, 'quorum' | 'sites' | 'privacy'>,
): PlanMismatch | null {
  if (!view.plan) return null;
  const named = definition.sites ? new Set(definition.sites).size : null;
  const values = planMismatch(view.plan, definition.privacy.secureAggregation, {
    least: leastSitesInSum(definition),
    most: named,
  });
  return values ?? neighbourhoodMismatch(view, siteId);
}

/** Why the neighbourhood the hub lists is not the one its plan gives this site, or null. */
function neighbourhoodMismatch(
  view: Pick<SecAggView, 'plan' | 'position' | 'neighbours'>,
  siteId: string,
): PlanMismatch | null {
  const { plan, position, neighbours } = view;
  if (!plan || position === null) return null; // not placed: the round goes on without this site
  const listed = (problem: string, planned: number, expected: number): PlanMismatch => ({
    field: 'participant-list',
    planned,
    expected,
    problem: `the neighbourhood the hub lists ${problem}`,
  });
  const own = neighbours.filter((n) => n.siteId === siteId);
  if (own.length !== 1 || own[0]?.position !== position)
    return listed(
      `holds this site ${own.length} times, or not at its position; it must hold it once.`,
      own.length,
      1,
    );
  const ids = new Set(neighbours.map((n) => n.siteId));
  if (ids.size !== neighbours.length)
    return listed(`names ${neighbours.length - ids.size} site(s) twice.`, neighbours.length, ids.size);
  const ring = neighboursOf(position, plan.participants, plan.neighbours);
  if (neighbours.length !== ring.length)
    return listed(
      `has ${neighbours.length} sites; the plan's neighbourhood size gives ${ring.length}.`,
      neighbours.length,
      ring.length,
    );
  // As many sites as places: each place of the ring nobody holds is a site listed off it (or twice at one).
  const positions = new Set(neighbours.map((n) => n.position));
  const strays = ring.filter((p) => !positions.has(p)).length;
  if (strays > 0)
    return listed(
      `places ${strays} site(s) where the plan's ring has none of this neighbourhood.`,
      strays,
      0,
    );
  const keys = new Set(neighbours.flatMap((n) => [n.maskPublicKey, n.sharePublicKey]));
  if (keys.size !== 2 * neighbours.length)
    return listed(
      'gives two seats the same round keys (one party holding both).',
      2 * neighbours.length - keys.size,
      0,
    );
  return null;
}

/**
 * Why this site may not give shares that unmask the sum `view` describes, or null: a survivor or
 * dropout outside its neighbourhood, or, where the neighbourhood is the whole round, fewer survivors
 * than the task's quorum (a hub that calls honest sites dropped to isolate one update).
 */
export function unmaskMismatch(
  view: Pick<SecAggView, 'plan' | 'neighbours' | 'survived' | 'dropped'>,
  definition: Pick<TaskDefinition, 'quorum'>,
): PlanMismatch | null {
  const { plan, survived, dropped } = view;
  if (!plan || !survived || !dropped) return null;
  const around = new Set(view.neighbours.map((n) => n.siteId));
  const outside = [...survived, ...dropped].filter((id) => !around.has(id)).length;
  if (outside > 0)
    return {
      field: 'participant-list',
      planned: outside,
      expected: 0,
      problem: `the hub names ${outside} survivor(s) or dropout(s) outside this site's neighbourhood.`,
    };
  // Only where this site sees the whole round is its survivor list the sum's.
  if (view.neighbours.length < plan.participants) return null;
  // A round planned for 3 or more never sums 2: each of the two would read the other's update.
  return survivorsMismatch(
    survived.length,
    leastUpdatesInSecureSum(definition.quorum, plan.participants),
    'the hub',
  );
}

const HELD_BACK: Record<HubPlanRefusal['phase'], string> = {
  sharing: 'sent no key shares and takes no part in this round. Nothing of its update left it.',
  masking: 'did not mask or send its update in this round. Nothing of its update left it.',
  unmasking:
    'gave no shares to unmask this round. Its update left it only masked, and it revealed nothing that removes its masks.',
};

/** The refusal with its sentence: what the hub planned against what the task says, and what the site did. */
export function hubPlanRefusal(
  mismatch: PlanMismatch,
  at: { round: number; phase: HubPlanRefusal['phase']; maskedInputSent: boolean },
): HubPlanRefusal {
  const sentence =
    `Refused the hub's secure-aggregation plan for round ${at.round}: ${mismatch.problem} ` +
    `This site ${HELD_BACK[at.phase]} If this happens again, tell the federation coordinator: ` +
    'the hub may be misconfigured or compromised.';
  return { ...mismatch, ...at, sentence };
}
