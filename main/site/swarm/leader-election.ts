// Who leads a round, decided by the ledger alone, so every member computes the same leader and the
// same succession without asking anyone.
//
// 1. Each member draws a 32-byte nonce and puts commit = SHA-256(nonce), signed, in the round-start
//    entry. The nonce has 256 random bits, so the commit hides it; SHA-256 is collision resistant, so
//    the commit binds it: once the round-start entry holds every commit, no member can change its nonce.
// 2. Members reveal their nonces; the round-seed entry holds the reveals that match. A member that
//    does not reveal (or reveals a nonce that does not match) is left out of the seed, and out of the
//    leader order, and named in the ledger.
// 3. seed = SHA-256(nonce₁ ‖ nonce₂ ‖ …) over the revealed nonces in member order (join order);
//    the leader is the live member with the smallest SHA-256(seed ‖ member id), its successors follow
//    in the same order when a leader times out.
//
// Why no member can choose itself: a member picking its nonce after seeing the others' commits does
// not know their nonces, so it cannot compute the seed its nonce would make; after the commits are in
// the ledger its only choice is to reveal or not, and not revealing takes it out of the order. What
// withholding does allow (a coalition of k members choosing among 2^k seeds for someone else) is
// stated in docs/swarm-learning.md.
import { createHash, randomBytes } from 'node:crypto';
import type { RoundCommit } from './ledger-entry.ts';

export interface RoundReveal {
  readonly member: string;
  readonly nonce: string;
}

/** A fresh round nonce: 32 random bytes in hex. Keep it until the reveal; never reuse it. */
export function drawRoundNonce(): string {
  return randomBytes(32).toString('hex');
}

export function nonceCommit(nonceHex: string): string {
  return createHash('sha256').update(Buffer.from(nonceHex, 'hex')).digest('hex');
}

/** SHA-256 of the revealed nonces, in the order given (member order). */
export function roundSeed(noncesInMemberOrder: readonly string[]): string {
  const hash = createHash('sha256');
  for (const nonce of noncesInMemberOrder) hash.update(Buffer.from(nonce, 'hex'));
  return hash.digest('hex');
}

function leaderRank(seed: string, memberId: string): Buffer {
  return createHash('sha256').update(Buffer.from(seed, 'hex')).update(Buffer.from(memberId, 'utf8')).digest();
}

/** The live members by SHA-256(seed ‖ id), smallest first: the leader, then its successors. */
export function leaderOrder(seed: string, liveMemberIds: readonly string[]): string[] {
  return liveMemberIds
    .map((id) => ({ id, rank: leaderRank(seed, id) }))
    .sort((a, b) => Buffer.compare(a.rank, b.rank) || (a.id < b.id ? -1 : 1))
    .map(({ id }) => id);
}

/** The leader once `timedOut` leaders in a row have failed to finish the round; null when none is left. */
export function leaderAfterTimeouts(order: readonly string[], timedOut: number): string | null {
  return order[timedOut] ?? null;
}

export interface RevealOutcome {
  readonly seed: string;
  readonly revealed: string[];
  readonly missing: string[];
  /** Why the reveals cannot stand in a ledger entry, or null. */
  readonly problem: string | null;
}

/**
 * Checks reveals against the round's commits and makes the seed. Every reveal must match its member's
 * commit (the proposer of the round-seed entry leaves out the ones that do not), at most one per member.
 */
export function revealOutcome(
  commits: readonly RoundCommit[],
  reveals: readonly RoundReveal[],
): RevealOutcome {
  const byMember = new Map<string, string>();
  let problem: string | null = null;
  for (const reveal of reveals) {
    const commit = commits.find((c) => c.member === reveal.member);
    if (commit === undefined) problem ??= 'a reveal comes from a member that made no commit.';
    else if (byMember.has(reveal.member)) problem ??= 'a member revealed twice.';
    else if (nonceCommit(reveal.nonce) !== commit.commit)
      problem ??= "a revealed nonce does not match its member's commit.";
    else byMember.set(reveal.member, reveal.nonce);
  }
  const revealed = commits.map((c) => c.member).filter((id) => byMember.has(id));
  const missing = commits.map((c) => c.member).filter((id) => !byMember.has(id));
  const seed = roundSeed(revealed.map((id) => byMember.get(id) ?? ''));
  return { seed, revealed, missing, problem };
}

/**
 * A member's check before it countersigns a round-seed entry: the proposer must not leave out a
 * reveal this member has seen (dropping a reveal changes the seed, so a proposer could pick among
 * seeds). Reveals go to every member, so an honest quorum refuses a seed that omits one. Returns the
 * members whose seen reveals are missing from the entry.
 */
export function omittedReveals(
  entryReveals: readonly RoundReveal[],
  seen: readonly RoundReveal[],
  commits: readonly RoundCommit[],
): string[] {
  const inEntry = new Set(entryReveals.map((reveal) => reveal.member));
  return seen
    .filter((reveal) => !inEntry.has(reveal.member))
    .filter((reveal) =>
      commits.some((c) => c.member === reveal.member && c.commit === nonceCommit(reveal.nonce)),
    )
    .map((reveal) => reveal.member);
}
