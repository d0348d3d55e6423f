// What a site keeps of the hub's plan when it shares its keys, and the contradictions it refuses after
// that (Bonawitz et al. 2017, §4: a user refuses survivor lists that are not consistent with what it
// was told). Checking each phase against the task alone (secagg-plan-check.ts) lets a hostile hub show
// a site one plan at sharing and another at masking or unmasking, within the same n:
// - at masking, a neighbour's round keys swapped for keys the hub holds (and shares it forged from
//   them): the site would add pairwise masks only the hub can remove, and the hub, told by the honest
//   neighbours that the site survived, would rebuild its self mask and read its update alone;
// - another seed, threshold or neighbourhood: the shares the site made no longer fit the plan it is
//   asked to reveal under;
// - at unmasking, survivors or dropouts that never shared keys with this site, or this site itself
//   called dropped although its masked update is at the hub.
// So the plan, this site's position and its neighbourhood (ids, positions, round keys, commitments) are
// kept on disk with its own share, before its shares leave, and every later view must show the same.
import type { Participant, SecAggPlan, SecAggView } from '../../../shared/federation/index.ts';
import type { HeldShares, PlanMismatch } from '../../../shared/node/secagg/index.ts';

/** The plan this site shared its keys under: what every later phase of the round must show. */
export interface SharedUnder {
  readonly plan: SecAggPlan;
  readonly position: number;
  readonly neighbours: Participant[];
}

/** What to keep of `view` when sharing under it (the view must hold a plan and a position). */
export function sharedUnder(view: Pick<SecAggView, 'plan' | 'position' | 'neighbours'>): SharedUnder {
  if (!view.plan || view.position === null) throw new Error('sharedUnder needs a placed view with a plan');
  return { plan: view.plan, position: view.position, neighbours: [...view.neighbours] };
}

const changed = (problem: string): PlanMismatch => ({
  field: 'changed-plan',
  planned: null,
  expected: null,
  problem,
});

const PLAN_WORDS: Record<keyof SecAggPlan, string> = {
  seed: "the ring's seed",
  participants: 'the count of participants',
  neighbours: 'the neighbourhood size',
  threshold: 'the share threshold',
  clipRange: 'the clip range',
  statisticsClipRange: "the statistics' clip range",
  levels: 'the quantisation levels',
  weightCap: 'the weight cap',
};

/**
 * Why `view` contradicts the plan this site shared its keys under, or null (also when it has not
 * shared yet: nothing to hold the hub to).
 */
export function planChange(
  kept: SharedUnder | null,
  view: Pick<SecAggView, 'plan' | 'position' | 'neighbours'>,
): PlanMismatch | null {
  if (!kept || !view.plan) return null;
  const since = 'since this site shared its keys; it must stay the same for the whole round.';
  for (const field of Object.keys(PLAN_WORDS) as (keyof SecAggPlan)[])
    if (view.plan[field] !== kept.plan[field])
      return changed(`${PLAN_WORDS[field]} of the plan changed ${since}`);
  if (view.position !== kept.position) return changed(`this site's place on the ring changed ${since}`);
  const before = new Map(kept.neighbours.map((n) => [n.siteId, n]));
  const now = new Map(view.neighbours.map((n) => [n.siteId, n]));
  const gone = [...before.keys()].filter((id) => !now.has(id)).length;
  const added = [...now.keys()].filter((id) => !before.has(id)).length;
  if (gone + added > 0 || now.size !== view.neighbours.length)
    return changed(
      `the neighbourhood the hub lists changed (${added} site(s) added, ${gone} left out) ${since}`,
    );
  const swapped = view.neighbours.filter((n) => !sameParticipant(n, before.get(n.siteId)!)).length;
  if (swapped > 0) return changed(`the round keys or places of ${swapped} neighbour(s) changed ${since}`);
  return null;
}

function sameParticipant(a: Participant, b: Participant): boolean {
  return (
    a.position === b.position &&
    a.maskPublicKey === b.maskPublicKey &&
    a.sharePublicKey === b.sharePublicKey &&
    a.selfMaskCommitment === b.selfMaskCommitment
  );
}

/**
 * Why this site may not reveal shares for the survivor list `view` shows, or null. `held`: the shares it
 * holds (those its neighbours sent it, and its own), that is, the sites that shared keys with it. The
 * survivors and dropouts must be among them (U3 ⊆ U2), no site may be both, this site must be a
 * survivor when its masked update is at the hub, and at least the threshold of them must have survived.
 */
export function survivorListMismatch(
  view: Pick<SecAggView, 'plan' | 'survived' | 'dropped' | 'done'>,
  siteId: string,
  held: HeldShares,
): PlanMismatch | null {
  const { plan, survived, dropped } = view;
  if (!plan || !survived || !dropped) return null;
  const both = survived.filter((id) => dropped.includes(id)).length;
  if (both > 0) return changed(`the hub names ${both} site(s) both survived and dropped.`);
  const strangers = [...survived, ...dropped].filter((id) => !(id in held)).length;
  if (strangers > 0)
    return changed(
      `the hub names ${strangers} survivor(s) or dropout(s) that never shared keys with this site in this round.`,
    );
  if (view.done.masked && !survived.includes(siteId))
    return changed('the hub does not count this site among the survivors, yet holds its masked update.');
  if (survived.length < plan.threshold)
    return {
      field: 'survivors',
      planned: survived.length,
      expected: plan.threshold,
      problem: `the hub names ${survived.length} survivor(s) of this site's neighbourhood, fewer than the ${plan.threshold} the plan's threshold needs.`,
    };
  return null;
}
