// The round's leader in the hub's role of SecAgg+ (shared/node/secagg, the same functions the hub's
// secure rounds use): it plans the round, passes each member's encrypted shares to their neighbours,
// adds the masked updates, asks the survivors for the shares that strip the masks, and gets Σ wᵢΔᵢ and
// Σ wᵢ. It never holds a member's update in the clear (its own aside); it sees uniform noise per member.
import { randomBytes } from 'node:crypto';
import {
  layoutOf,
  leastUpdatesInSecureSum,
  WeightedDeltaSum,
  type Participant,
  type SecAggPlan,
  type UnmaskRequest,
  type WeightSet,
} from '../../../shared/federation/index.ts';
import {
  decodeMaskedInput,
  dequantiseSum,
  MaskedSum,
  orderSites,
  unmaskSum,
  vectorLength,
} from '../../../shared/node/secagg/index.ts';
import type { MemberRecord } from './membership.ts';
import type { SignedRoundKeys } from './round-key-signature.ts';
import { taskPlanValues } from './round-plan-check.ts';
import { attemptContext, type RoundSecAggMember } from './round-secagg-member.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';

export interface LeaderAggregation {
  readonly sum: WeightedDeltaSum;
  /** Members whose masked update is in the sum. */
  readonly participants: string[];
  /** Each masked vector as the leader received it (what the leader sees of each member). */
  readonly masked: ReadonlyMap<string, Uint32Array>;
}

export interface SecAggSettings {
  readonly clipRange: number;
  /** Batch norm's running statistics' own range; absent, the product default. */
  readonly statisticsClipRange?: number | undefined;
  readonly bits: number;
}

/** Runs one secure aggregation among `members` (the leader among them) for `round`. */
export async function leadSecureAggregation(options: {
  readonly node: SwarmNode;
  readonly own: RoundSecAggMember;
  readonly round: number;
  readonly members: readonly MemberRecord[];
  readonly global: WeightSet;
  readonly settings: SecAggSettings;
  /** The fewest members a plan may count (differential privacy's minimum; 2 without it). */
  readonly leastParticipants?: number;
}): Promise<LeaderAggregation> {
  const { node, own, round, settings } = options;
  const leader = node.id;
  const swarm = node.state.swarmId;
  // Each step to every member at once; the leader answers its own part in process.
  const ask = async <T>(kind: string, member: MemberRecord, body: object, local: () => Promise<T> | T) =>
    member.id === leader ? await local() : ((await node.client.send(member, swarm, kind, body)) as T);
  const allOf = <T>(
    list: readonly MemberRecord[],
    kind: string,
    body: (m: MemberRecord) => object,
    local: (b: object) => Promise<T> | T,
  ) => Promise.allSettled(list.map((m) => ask(kind, m, body(m), () => local(body(m)))));

  // The key exchange, planned again without the members that did not answer (one that left or is
  // down after the seed): nothing was shared yet, so the others' fresh secrets cost nothing.
  let members = [...options.members];
  const least = Math.max(2, options.leastParticipants ?? 2);
  // Members refuse a plan of fewer (round-plan-check.ts): not asked, rather than told of a refusal.
  if (members.length < least)
    throw new SwarmError(
      'round-failed',
      `Only ${members.length} members can take part in round ${round}; the task needs ${least}, and the round starts again when more are live.`,
    );
  let plan = planFor(members.length, settings);
  let keys = await allOf<SignedRoundKeys>(
    members,
    'secagg-keys',
    () => ({ round, plan }),
    (b) => own.keys(leader, b),
  );
  for (let replans = 0; keys.some((k) => k.status !== 'fulfilled'); replans++) {
    const answered = members.filter((_, i) => keys[i]?.status === 'fulfilled');
    if (replans >= 2 || answered.length < least || !answered.some((m) => m.id === leader))
      throw new SwarmError(
        'round-failed',
        `Only ${answered.length} of ${members.length} members answered the key exchange; this round needs ${least}, and the next leader will try.`,
      );
    members = answered;
    plan = planFor(members.length, settings);
    keys = await allOf<SignedRoundKeys>(
      members,
      'secagg-keys',
      () => ({ round, plan }),
      (b) => own.keys(leader, b),
    );
  }
  const n = members.length;
  const k = plan.neighbours;
  const all = <T>(kind: string, body: (m: MemberRecord) => object, local: (b: object) => Promise<T> | T) =>
    allOf<T>(members, kind, body, local);
  const order = orderSites(
    plan.seed,
    members.map((m) => m.id),
  );
  const participants: Participant[] = members.map((m, i) => ({
    siteId: m.id,
    position: order.indexOf(m.id),
    ...(keys[i] as PromiseFulfilledResult<SignedRoundKeys>).value,
  }));

  const shares = await all<{ to: string; ciphertext: string }[]>(
    'secagg-shares',
    () => ({ round, participants }),
    (b) => own.shares(leader, b),
  );
  if (shares.some((answer) => answer.status !== 'fulfilled'))
    throw new SwarmError(
      'round-failed',
      'A member did not share its keys; the round goes to the next leader.',
    );
  const inbox = new Map<string, { from: string; ciphertext: string }[]>(members.map((m) => [m.id, []]));
  members.forEach((m, i) => {
    for (const share of (shares[i] as PromiseFulfilledResult<{ to: string; ciphertext: string }[]>).value)
      inbox.get(share.to)?.push({ from: m.id, ciphertext: share.ciphertext });
  });

  const maskedAnswers = await all<string>(
    'secagg-mask',
    (m) => ({ round, incoming: inbox.get(m.id) ?? [] }),
    (b) => own.mask(leader, b),
  );
  const sum = new MaskedSum(vectorLength(layoutOf(options.global)));
  const masked = new Map<string, Uint32Array>();
  members.forEach((m, i) => {
    const answer = maskedAnswers[i];
    if (answer?.status !== 'fulfilled') return; // dropped after sharing: its masks are removed below
    const vector = decodeMaskedInput(Buffer.from(answer.value, 'base64url'));
    sum.add(vector);
    masked.set(m.id, vector);
  });
  const survived = members.filter((m) => masked.has(m.id)).map((m) => m.id);
  const dropped = members.filter((m) => !masked.has(m.id)).map((m) => m.id);
  // The members refuse their shares for a smaller sum (round-plan-check.ts): not asked.
  const leastInSum = leastUpdatesInSecureSum(least, n);
  if (survived.length < leastInSum)
    throw new SwarmError(
      'round-failed',
      `Only ${survived.length} of ${n} members sent a masked update; a sum needs ${leastInSum}, or each member in it could read another's update. Nothing is unmasked; the round starts again.`,
    );

  const reveals = await Promise.allSettled(
    members
      .filter((m) => masked.has(m.id))
      .map((m) =>
        ask<UnmaskRequest>('secagg-unmask', m, { round, survived, dropped }, () =>
          own.unmask(leader, { round, survived, dropped }),
        ),
      ),
  );
  const selfShares = new Map<string, Uint8Array[]>();
  const keyShares = new Map<string, Uint8Array[]>();
  for (const reveal of reveals) {
    if (reveal.status !== 'fulfilled') continue;
    for (const { owner, share } of reveal.value.selfMaskShares) push(selfShares, owner, share);
    for (const { owner, share } of reveal.value.maskKeyShares) push(keyShares, owner, share);
  }
  const byId = (id: string) => participants.find((p) => p.siteId === id) as Participant;
  const unmasked = await unmaskSum({
    sum,
    survivors: survived.map((id) => ({ ...byId(id), selfMaskShares: selfShares.get(id) ?? [] })),
    dropped: dropped.map((id) => ({ ...byId(id), maskKeyShares: keyShares.get(id) ?? [] })),
    participants: n,
    neighbours: k,
    threshold: plan.threshold,
    context: attemptContext(swarm, round, leader),
  });
  const layout = layoutOf(options.global);
  const { sums, totalWeight } = dequantiseSum(unmasked, layout, plan);
  return {
    sum: WeightedDeltaSum.fromTotals(layout, sums, totalWeight, survived.length),
    participants: survived,
    masked,
  };
}

/** The plan for `n` members: the seed is the leader's, the rest the task's (round-plan-check.ts). */
function planFor(n: number, settings: SecAggSettings): SecAggPlan {
  return {
    seed: randomBytes(32).toString('base64url'),
    participants: n,
    ...taskPlanValues({ secureAggregation: settings }, n),
  };
}

function push(map: Map<string, Uint8Array[]>, owner: string, share: string): void {
  const list = map.get(owner) ?? [];
  list.push(Buffer.from(share, 'base64url'));
  map.set(owner, list);
}
