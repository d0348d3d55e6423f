// A member's side of secure aggregation when the combiner is the round's elected leader, not the hub:
// the same SecAgg+ steps a site takes with the hub (shared/node/secagg: round keys, shares to its
// neighbours, the masked input, the shares it reveals), answered to whichever member the ledger names
// in the round's leader order. Each leader attempt has its own fresh round secrets (its own pair
// context), so a successor never sees masks a failed leader saw.
//
// What a member refuses, so a leader (or two leaders in turn) learns only a sum:
// - a leader that is not in the round's succession, or a round the ledger has not seeded;
// - a participant list it is not on, or an attempt whose participants are not the first attempt's
//   minus the leaders that failed before this one: otherwise two sums over different sets would give
//   away one member's update by subtraction;
// - revealing both kinds of share for one neighbour (shared/node/secagg's revealShares keeps that);
// - a plan that is not the one its approved task gives (round-plan-check.ts: the clip ranges, the bits,
//   the neighbourhood and threshold, the weight cap, how many take part), participants outside the
//   round's seed, and, under differential privacy, a sum of fewer survivors than the task's minimum.
//   Each refusal is told (`onPlanRefused`: the log, the audit log, the operator) before it is answered,
//   and nothing of this member's data has gone to that leader: it checks before it masks.
//
// Each attempt's secrets and progress are kept sealed in swarm.db (round-secret-store.ts) before the
// answer that depends on them leaves, so a member restarted mid-round answers the same leader with
// the same secrets, and keeps its refusals (a second plan, both kinds of share) across the restart.
import { type Participant, type SecAggPlan, type WeightSet } from '../../../shared/federation/index.ts';
import {
  encodeMaskedInput,
  makeShares,
  maskInput,
  neighboursOf,
  newRoundSecrets,
  openShares,
  orderSites,
  publicKeysOf,
  quantiseUpdate,
  revealShares,
  type HeldShares,
  type RoundSecrets,
} from '../../../shared/node/secagg/index.ts';
import type { KeyObject } from 'node:crypto';
import { findMember, type MembershipState } from './membership.ts';
import {
  roundKeysSigned,
  signRoundKeys,
  type RoundKeysContext,
  type SignedRoundKeys,
} from './round-key-signature.ts';
import {
  participantListMismatch,
  planMismatch,
  survivorsMismatch,
  type PlanMismatch,
  type PlanRefusal,
  type PlanTask,
} from './round-plan-check.ts';
import {
  keysMessageSchema,
  maskMessageSchema,
  parseSecAggMessage as parse,
  sharesMessageSchema,
  unmaskMessageSchema,
} from './round-secagg-messages.ts';
import type { RoundSecretStore } from './round-secret-store.ts';
import { SwarmError } from './swarm-error.ts';

export interface MemberUpdate {
  readonly delta: WeightSet;
  readonly examples: number;
}

/** The pair context of one leader's attempt at a round: distinct per leader, so keys never repeat. */
export function attemptContext(
  swarmId: string,
  round: number,
  leader: string,
): { taskId: string; round: number } {
  return { taskId: `${swarmId.slice(0, 16)}_${leader}`, round };
}

interface Attempt {
  readonly plan: SecAggPlan;
  readonly secrets: RoundSecrets;
  participants: Participant[] | null;
  held: HeldShares | null;
  masked: boolean;
  revealed: Record<string, 'self-mask' | 'mask-key'>;
}

export class RoundSecAggMember {
  readonly #attempts = new Map<string, Attempt>();
  /** The participants of the first attempt at each round (the set later attempts may only shrink). */
  readonly #firstSet = new Map<number, string[]>();

  constructor(
    private readonly ownId: string,
    private readonly state: () => MembershipState,
    /** This member's update for the round (trained once per round, the same for every attempt). */
    private readonly update: (round: number) => Promise<MemberUpdate>,
    /** Where the attempts are kept across a restart (none: memory only). */
    private readonly kept: RoundSecretStore | null,
    /** The approved task a leader's plan must match, and who is told of a refusal. */
    private readonly plans: {
      readonly task: PlanTask;
      /** Signs this member's round keys, so a leader cannot pass other keys off as its (round-key-signature.ts). */
      readonly signingKey: KeyObject;
      readonly onPlanRefused?: (refusal: PlanRefusal) => void;
    },
  ) {}

  /** Phase 1: fresh round secrets for this leader's attempt; returns their public halves. */
  keys(leader: string, body: unknown): SignedRoundKeys {
    const { round, plan } = parse(keysMessageSchema, body);
    const order = this.#succession(leader, round);
    // Before any secret is made for this leader: a refused plan leaves nothing behind.
    const mismatch = planMismatch(plan, this.plans.task, order.length - order.indexOf(leader));
    if (mismatch) this.#refuse(round, leader, mismatch, 'takes no part in its attempt');
    const existing = this.#held(round, leader);
    const signed = (secrets: RoundSecrets) =>
      signRoundKeys(
        publicKeysOf(secrets),
        this.ownId,
        this.#keysContext(round, leader, plan.seed),
        this.plans.signingKey,
      );
    if (existing?.plan.seed === plan.seed) return signed(existing.secrets);
    // A leader plans again without members that did not answer; once shares went out, never.
    if (existing && existing.participants !== null)
      throw new SwarmError(
        'bad-message',
        'This member already shared its keys under another plan for this leader.',
      );
    const secrets = newRoundSecrets();
    this.#keep(round, leader, { plan, secrets, participants: null, held: null, masked: false, revealed: {} });
    return signed(secrets);
  }

  /** Phase 2: this member's shares of its secrets, each encrypted for one neighbour. */
  async shares(leader: string, body: unknown): Promise<{ to: string; ciphertext: string }[]> {
    const { round, participants } = parse(sharesMessageSchema, body);
    const order = this.#succession(leader, round);
    const attempt = this.#attempt(round, leader);
    const ids = participants.map((p) => p.siteId);
    const context = this.#keysContext(round, leader, attempt.plan.seed);
    const listed = participants.map((p) => ({
      siteId: p.siteId,
      keysSigned: roundKeysSigned(p, context, findMember(this.state(), p.siteId)?.signingKey),
    }));
    const strangers = participantListMismatch(listed, order.slice(order.indexOf(leader)));
    if (strangers) this.#refuse(round, leader, strangers, 'shares no keys with its participants');
    const expectedOrder = orderSites(attempt.plan.seed, ids);
    if (
      participants.some(
        (p, i) => p.position !== expectedOrder.indexOf(p.siteId) || ids.indexOf(p.siteId) !== i,
      )
    )
      throw new SwarmError(
        'bad-message',
        "The leader's participant positions do not follow the plan's seed.",
      );
    if (participants.length !== attempt.plan.participants || !ids.includes(this.ownId))
      throw new SwarmError(
        'bad-message',
        'The participant list does not match the plan or leaves this member out.',
      );
    const first = this.#firstSet.get(round) ?? this.kept?.get<string[]>(round, 'first-set');
    if (first === undefined) {
      this.#firstSet.set(round, ids);
      this.kept?.put(round, 'first-set', ids);
    } else {
      // Leaders before this one in the order are the ones that may have failed.
      const before = order.slice(0, order.indexOf(leader));
      const allowed = first.filter((id) => !before.includes(id));
      if (ids.some((id) => !first.includes(id)) || allowed.some((id) => !ids.includes(id)))
        throw new SwarmError(
          'bad-message',
          "A successor's participants must be the first attempt's minus the failed leaders; this member does not take part in another set.",
        );
    }
    attempt.participants = [...participants].sort((a, b) => a.position - b.position);
    const made = await makeShares({
      secrets: attempt.secrets,
      siteId: this.ownId,
      neighbours: this.#neighbours(attempt),
      threshold: attempt.plan.threshold,
      context: attemptContext(this.state().swarmId, round, leader),
    });
    attempt.held = { [this.ownId]: made.own };
    this.#keep(round, leader, attempt);
    return made.request.shares;
  }

  /** Phase 3: the shares addressed to this member opened, and its update masked (base64url of RFM1). */
  async mask(leader: string, body: unknown): Promise<string> {
    const { round, incoming } = parse(maskMessageSchema, body);
    this.#succession(leader, round);
    const attempt = this.#attempt(round, leader);
    if (attempt.participants === null || attempt.held === null)
      throw new SwarmError('bad-message', 'The leader asked for the masked update before the shares.');
    const own = attempt.participants.find((p) => p.siteId === this.ownId) as Participant;
    const context = attemptContext(this.state().swarmId, round, leader);
    Object.assign(
      attempt.held,
      openShares({
        incoming,
        secrets: attempt.secrets,
        siteId: this.ownId,
        neighbours: this.#neighbours(attempt),
        context,
      }),
    );
    const update = await this.update(round);
    const { vector } = quantiseUpdate(update.delta, update.examples, attempt.plan);
    maskInput(vector, { ...own, ...attempt.secrets }, this.#neighbours(attempt), context);
    attempt.masked = true;
    this.#keep(round, leader, attempt);
    return Buffer.from(encodeMaskedInput(vector)).toString('base64url');
  }

  /** Phase 4: for each neighbour, the one kind of share the leader needs to strip the masks. */
  unmask(leader: string, body: unknown): ReturnType<typeof revealShares>['request'] {
    const { round, survived, dropped } = parse(unmaskMessageSchema, body);
    this.#succession(leader, round);
    const attempt = this.#attempt(round, leader);
    if (attempt.held === null || !attempt.masked)
      throw new SwarmError(
        'bad-message',
        'The leader asked for shares before this member masked its update.',
      );
    const tooFew = survivorsMismatch(survived.length, this.plans.task, attempt.plan.participants);
    if (tooFew) this.#refuse(round, leader, tooFew, 'reveals no share for that sum');
    const around = this.#neighbours(attempt).map((p) => p.siteId);
    const { request, revealed } = revealShares({
      held: attempt.held,
      survived: survived.filter((id) => around.includes(id)),
      dropped: dropped.filter((id) => around.includes(id)),
      threshold: attempt.plan.threshold,
      alreadyRevealed: attempt.revealed,
    });
    attempt.revealed = revealed;
    this.#keep(round, leader, attempt);
    return request;
  }

  /**
   * Round `round` was started again (a new round-start entry, fresh commits and seed): its earlier
   * attempts are forgotten, so the new start's leaders may plan any set, unless a sum holding this
   * member's update may be in another member's hands (`updateMayBeSummed`). Otherwise the earlier set
   * still binds, and this member takes part only in its subsets (it may then keep the round from
   * completing: safety first).
   */
  restarted(round: number): void {
    for (const name of this.kept?.names(round, 'attempt:') ?? []) this.#held(round, name.slice(8));
    const earlier = [...this.#attempts].filter(([key]) => Number(key.split(':')[0]) === round);
    const summed = ([key, attempt]: [string, Attempt]) =>
      updateMayBeSummed(this.ownId, key.slice(key.indexOf(':') + 1), attempt);
    if (earlier.some(summed)) return;
    for (const [key] of earlier) {
      this.#attempts.delete(key);
      this.kept?.delete(round, `attempt:${key.split(':')[1] ?? ''}`);
    }
    this.#firstSet.delete(round);
    this.kept?.delete(round, 'first-set');
  }

  /** Forgets the secrets of rounds before `round` (their aggregates are committed). */
  forgetBefore(round: number): void {
    for (const key of this.#attempts.keys())
      if (Number(key.split(':')[0]) < round) this.#attempts.delete(key);
    for (const key of this.#firstSet.keys()) if (key < round) this.#firstSet.delete(key);
    this.kept?.forgetBefore(round);
  }

  /** The attempt for this leader at `round`, from memory or, after a restart, from swarm.db. */
  #held(round: number, leader: string): Attempt | undefined {
    const key = `${round}:${leader}`;
    let attempt = this.#attempts.get(key);
    if (attempt === undefined) {
      attempt = this.kept?.get<Attempt>(round, `attempt:${leader}`);
      if (attempt !== undefined) this.#attempts.set(key, attempt);
    }
    return attempt;
  }

  /** Remembers `attempt`, in swarm.db too, before the answer that depends on it leaves. */
  #keep(round: number, leader: string, attempt: Attempt): void {
    this.#attempts.set(`${round}:${leader}`, attempt);
    this.kept?.put(round, `attempt:${leader}`, attempt);
  }

  #keysContext(round: number, leader: string, seed: string): RoundKeysContext {
    return { swarm: this.state().swarmId, round, leader, seed };
  }

  /** Tells of the refusal (log, audit log, operator), then answers the leader with the same sentence. */
  #refuse(round: number, leader: string, mismatch: PlanMismatch, outcome: string): never {
    const sentence =
      `Refused the secure-aggregation plan of member ${leader.slice(0, 8)}, leader of round ${round}: ` +
      `${mismatch.problem} This member ${outcome}; it takes part under a leader whose plan matches the task.`;
    const attempt = this.state().openRound?.attempt ?? 1;
    this.plans.onPlanRefused?.({ ...mismatch, round, attempt, leader, sentence });
    throw new SwarmError('plan-refused', sentence);
  }

  #succession(leader: string, round: number): readonly string[] {
    const open = this.state().openRound;
    if (open?.round !== round || open.seed === null)
      throw new SwarmError(
        'round-failed',
        `Round ${round} is not seeded in this member's ledger; nothing was sent.`,
      );
    if (!open.seed.order.includes(leader))
      throw new SwarmError('not-member', `The caller is not in round ${round}'s leader succession.`);
    return open.seed.order;
  }

  #attempt(round: number, leader: string): Attempt {
    const attempt = this.#held(round, leader);
    if (attempt === undefined)
      throw new SwarmError('bad-message', 'The leader skipped the key exchange for this round.');
    return attempt;
  }

  #neighbours(attempt: Attempt): Participant[] {
    const all = attempt.participants ?? [];
    const own = all.find((p) => p.siteId === this.ownId) as Participant;
    return neighboursOf(own.position, all.length, attempt.plan.neighbours).map((i) => all[i] as Participant);
  }
}

/**
 * Whether a sum holding `member`'s update may be in the hands of `leader` (of that attempt), so that a
 * later sum over another set could give an update away by subtraction. Not when the member never
 * masked; not when it led the attempt itself (its masked update never left it, and a sum only it could
 * unmask is no one else's, whatever shares it revealed to itself); not when the leader could not strip
 * its self-mask: that takes t shares of the member's seed, and its neighbours other than itself hold
 * only k − 1 of them, so with k − 1 < t (two members: k = t = 2) the leader needed the member's own
 * share, which it gives only at the unmask.
 */
function updateMayBeSummed(member: string, leader: string, attempt: Attempt): boolean {
  if (!attempt.masked || leader === member) return false;
  if (attempt.revealed[member] === 'self-mask') return true;
  return attempt.plan.neighbours - 1 >= attempt.plan.threshold;
}
