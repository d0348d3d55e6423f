// The state a ledger's entries build, one entry at a time: who the members are (in the order they
// joined, which is "member order" for the round seed), which invitations were used, and where the
// rounds stand. `applyEntry` is the one place that decides whether an entry may follow the state;
// signatures and quorum are checked before it (chain-verification.ts).
import { publicKeyFingerprint } from '../../../shared/node/federation/index.ts';
import {
  MAX_MEMBERS,
  statementSignatureValid,
  type LedgerEntry,
  type MemberCard,
  type QuorumRule,
  type RoundCommit,
} from './ledger-entry.ts';
import { leaderOrder, revealOutcome } from './leader-election.ts';
import { LedgerVerificationError } from './swarm-error.ts';

export const JOIN_REQUEST_TAG = 'RADFED-SWARM-JOIN-V1';
export const KEY_PROOF_TAG = 'RADFED-SWARM-KEY-V1';
export const ROUND_COMMIT_TAG = 'RADFED-SWARM-COMMIT-V1';

export interface MemberRecord extends MemberCard {
  /** Height of the entry that admitted it (0 for the founder). */
  readonly joinedAt: number;
}

export interface RoundSeedOutcome {
  readonly seed: string;
  /** Members whose reveal matched their commit, in member order. */
  readonly revealed: readonly string[];
  /** Members that committed and did not reveal: left out of the seed, named in the ledger. */
  readonly missing: readonly string[];
  /** The leader first, then its successors. */
  readonly order: readonly string[];
}

export interface OpenRound {
  readonly round: number;
  /** 1 for the round's first start; each start again under the same number (it stalled) adds one. */
  readonly attempt: number;
  readonly task: string;
  readonly startedAt: number;
  readonly commits: readonly RoundCommit[];
  readonly seed: RoundSeedOutcome | null;
}

export interface MembershipState {
  readonly swarmId: string;
  readonly name: string;
  readonly quorumRule: QuorumRule;
  /** The height the next entry must have. */
  readonly nextHeight: number;
  readonly tipHash: string;
  readonly members: readonly MemberRecord[];
  readonly usedInvitations: ReadonlySet<string>;
  readonly lastCommittedRound: number;
  readonly openRound: OpenRound | null;
}

/**
 * Countersignatures an entry needs when the swarm has `memberCount` members. 'majority' (q > N/2) keeps
 * the log from forking while members only crash; 'two-thirds' (q > 2N/3) also while fewer than N/3
 * are malicious. docs/swarm-learning.md, "Quorum", says which to choose.
 */
export function quorumSize(memberCount: number, rule: QuorumRule): number {
  return rule === 'majority' ? Math.floor(memberCount / 2) + 1 : Math.floor((2 * memberCount) / 3) + 1;
}

export function memberIdFor(signingKey: string): string {
  return publicKeyFingerprint(signingKey);
}

export function findMember(state: MembershipState, id: string): MemberRecord | undefined {
  return state.members.find((member) => member.id === id);
}

/** The state after `entry`, whose hash is `hash`; throws LedgerVerificationError when it may not follow. */
export function applyEntry(state: MembershipState | null, entry: LedgerEntry, hash: string): MembershipState {
  const refuse = (problem: string): never => {
    throw new LedgerVerificationError('invalid-transition', entry.height, problem);
  };
  const { body } = entry;
  if (state === null) {
    if (body.kind !== 'genesis') return refuse('a ledger must begin with a genesis entry.');
    if (body.founder.id !== memberIdFor(body.founder.signingKey))
      refuse("the founder's id is not the fingerprint of its signing key.");
    if (entry.proposer !== body.founder.id) refuse('the genesis entry is not proposed by its founder.');
    return {
      swarmId: hash,
      name: body.name,
      quorumRule: body.quorumRule,
      nextHeight: 1,
      tipHash: hash,
      members: [{ ...body.founder, joinedAt: 0 }],
      usedInvitations: new Set(),
      lastCommittedRound: 0,
      openRound: null,
    };
  }
  const next = { ...state, nextHeight: state.nextHeight + 1, tipHash: hash };
  const current = (id: string): MemberRecord => findMember(state, id) ?? refuse('it names a non-member.');
  switch (body.kind) {
    case 'genesis':
      return refuse('a genesis entry may only stand at height 0.');
    case 'join': {
      const { member } = body;
      if (findMember(state, member.id) !== undefined) refuse('the joiner is already a member.');
      if (member.id !== memberIdFor(member.signingKey))
        refuse("the joiner's id is not the fingerprint of its signing key.");
      if (state.usedInvitations.has(body.invitation)) refuse('the invitation was already used.');
      if (state.members.length >= MAX_MEMBERS) refuse(`a swarm holds at most ${MAX_MEMBERS} members.`);
      const request = { swarm: state.swarmId, member, invitation: body.invitation };
      if (!statementSignatureValid(JOIN_REQUEST_TAG, request, body.requestSignature, member.signingKey))
        refuse("the joiner's request signature does not verify.");
      return {
        ...next,
        members: [...state.members, { ...member, joinedAt: entry.height }],
        usedInvitations: new Set([...state.usedInvitations, body.invitation]),
      };
    }
    case 'leave': {
      current(body.member);
      if ((body.reason === 'left') !== (entry.proposer === body.member))
        refuse('a member leaves by its own entry, and is removed by another member.');
      if (state.members.length === 1) refuse('the last member cannot leave.');
      return { ...next, members: state.members.filter((member) => member.id !== body.member) };
    }
    case 'key-rotation': {
      const member = current(body.member);
      if (entry.proposer !== body.member) refuse('only the member itself rotates its key.');
      if (body.signingKey === member.signingKey) refuse('the new key is the old key.');
      const statement = { swarm: state.swarmId, member: body.member, signingKey: body.signingKey };
      if (!statementSignatureValid(KEY_PROOF_TAG, statement, body.proof, body.signingKey))
        refuse('the new key did not sign its proof of possession.');
      return {
        ...next,
        members: state.members.map((m) => (m.id === body.member ? { ...m, signingKey: body.signingKey } : m)),
      };
    }
    case 'round-start': {
      if (body.round !== state.lastCommittedRound + 1)
        refuse(`the next round is ${state.lastCommittedRound + 1}, not ${body.round}.`);
      const memberOrder = state.members.map((member) => member.id);
      let lastIndex = -1;
      for (const commit of body.commits) {
        const member = current(commit.member);
        const index = memberOrder.indexOf(member.id);
        if (index <= lastIndex) refuse('the commits are not one per member in member order.');
        lastIndex = index;
        const statement = roundCommitStatement(state.swarmId, body.round, body.task, commit);
        if (!statementSignatureValid(ROUND_COMMIT_TAG, statement, commit.signature, member.signingKey))
          refuse("a member's nonce commit is not signed by that member.");
      }
      // A restarted round (the last one never reached its aggregate) replaces the open one.
      const earlier = state.openRound?.round === body.round ? state.openRound.attempt : 0;
      return {
        ...next,
        openRound: {
          round: body.round,
          attempt: earlier + 1,
          task: body.task,
          startedAt: entry.height,
          commits: body.commits,
          seed: null,
        },
      };
    }
    case 'round-seed': {
      const open = state.openRound;
      if (open === null || open.round !== body.round || open.seed !== null)
        refuse(`round ${body.round} is not waiting for its seed.`);
      const outcome = revealOutcome(open?.commits ?? [], body.reveals);
      if (outcome.problem !== null) refuse(outcome.problem);
      const live = outcome.revealed.filter((id) => findMember(state, id) !== undefined);
      if (live.length === 0) refuse('no member that revealed is still a member.');
      const seed = { ...outcome, order: leaderOrder(outcome.seed, live) };
      return { ...next, openRound: { ...(open as OpenRound), seed } };
    }
    case 'aggregate-commit': {
      const open = state.openRound;
      if (open?.round !== body.round || open.seed === null)
        return refuse(`round ${body.round} has no seed yet, so it has no leader.`);
      if (!open.seed.order.includes(body.leader) || entry.proposer !== body.leader)
        refuse("the aggregate is not proposed by a leader in the round's succession.");
      const participants = new Set(body.participants);
      if (participants.size !== body.participants.length) refuse('a participant is listed twice.');
      if (body.participants.some((id) => !open.seed?.revealed.includes(id)))
        refuse('a participant did not take part in the round seed.');
      return { ...next, lastCommittedRound: body.round, openRound: null };
    }
  }
}

/** What a member signs for its nonce commit: the round it is for, so a commit cannot be replayed. */
export function roundCommitStatement(
  swarm: string,
  round: number,
  task: string,
  commit: Pick<RoundCommit, 'member' | 'commit'>,
): object {
  return { swarm, round, task, member: commit.member, commit: commit.commit };
}
