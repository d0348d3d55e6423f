// The leader of each round comes from the ledger: a commit-reveal of the members' nonces, a seed from
// the revealed ones in member order, and the order of SHA-256(seed ‖ member id). Every member computes
// the same order; a nonce cannot be changed once committed; a member that does not reveal is named and
// cannot lead.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyChain } from './chain-verification.ts';
import { signStatement, type RoundCommit } from './ledger-entry.ts';
import {
  drawRoundNonce,
  leaderAfterTimeouts,
  leaderOrder,
  nonceCommit,
  omittedReveals,
  revealOutcome,
  roundSeed,
  type RoundReveal,
} from './leader-election.ts';
import { ROUND_COMMIT_TAG, roundCommitStatement } from './membership.ts';
import { LedgerVerificationError } from './swarm-error.ts';
import { buildTestSwarm, type TestSite, type TestSwarm } from './testing/swarm-fixture.ts';

const TASK = createHash('sha256').update('nodule task').digest('hex');

function commitFor(swarm: TestSwarm, site: TestSite, round: number, nonce: string): RoundCommit {
  const commit = { member: site.id, commit: nonceCommit(nonce) };
  const statement = roundCommitStatement(swarm.state.swarmId, round, TASK, commit);
  return { ...commit, signature: signStatement(ROUND_COMMIT_TAG, statement, site.signingKey) };
}

/** Starts round `round` with every site's commit; returns the nonces by site. */
function startRound(swarm: TestSwarm, round = 1): string[] {
  const nonces = swarm.sites.map(() => drawRoundNonce());
  const commits = swarm.sites.map((site, index) => commitFor(swarm, site, round, nonces[index]!));
  swarm.add({ kind: 'round-start', round, task: TASK, commits }, swarm.sites[0]!, swarm.sites.slice(1));
  return nonces;
}

function reveal(swarm: TestSwarm, nonces: readonly string[], who: readonly number[], round = 1): void {
  const reveals = who.map((index) => ({ member: swarm.sites[index]!.id, nonce: nonces[index]! }));
  swarm.add({ kind: 'round-seed', round, reveals }, swarm.sites[0]!, swarm.sites.slice(1));
}

function refusal(run: () => unknown): LedgerVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof LedgerVerificationError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the leader of a round, decided by the ledger', () => {
  it('every member computes the same seed and order from the same ledger', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const nonces = startRound(swarm);
    reveal(swarm, nonces, [0, 1, 2]);
    const seed = swarm.state.openRound?.seed;
    expect(seed?.seed).toBe(roundSeed(nonces));
    const expected = leaderOrder(
      roundSeed(nonces),
      swarm.sites.map((site) => site.id),
    );
    expect(seed?.order).toEqual(expected);
    // Another member, replaying the same entries from scratch, reaches the same order.
    const replayed = verifyChain(null, structuredClone(swarm.chain)).at(-1)?.state;
    expect(replayed?.openRound?.seed?.order).toEqual(expected);
    const rank = (id: string) =>
      createHash('sha256')
        .update(Buffer.from(roundSeed(nonces), 'hex'))
        .update(id)
        .digest('hex');
    expect(expected.map(rank)).toEqual(expected.map(rank).sort());
  });

  it('the leader commits the aggregate; a successor may, a member outside the order may not', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const nonces = startRound(swarm);
    reveal(swarm, nonces, [0, 1, 2]);
    const order = swarm.state.openRound?.seed?.order ?? [];
    const site = (id: string | null) => swarm.sites.find((s) => s.id === id)!;
    const successor = site(leaderAfterTimeouts(order, 1));
    expect(leaderAfterTimeouts(order, 3)).toBeNull();
    const aggregate = (leader: TestSite) => ({
      kind: 'aggregate-commit' as const,
      round: 1,
      leader: leader.id,
      model: 'e'.repeat(64),
      serverState: null,
      participants: order.slice(),
      epsilonSpent: 0.4,
    });
    // The successor finishes the round the leader did not (it timed out).
    swarm.add(
      aggregate(successor),
      successor,
      swarm.sites.filter((s) => s !== successor),
    );
    expect(swarm.state.lastCommittedRound).toBe(1);
    expect(swarm.state.openRound).toBeNull();
  });

  it('a member that does not reveal is left out of the seed and the order, and named', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const nonces = startRound(swarm);
    reveal(swarm, nonces, [0, 2]);
    const seed = swarm.state.openRound?.seed;
    expect(seed?.missing).toEqual([swarm.sites[1]!.id]);
    expect(seed?.seed).toBe(roundSeed([nonces[0]!, nonces[2]!]));
    expect(seed?.order).not.toContain(swarm.sites[1]!.id);
    expect(seed?.order).toHaveLength(2);
  });

  it('a nonce cannot be changed after its commit is in the round-start entry', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const nonces = startRound(swarm);
    const changed = [...nonces];
    changed[2] = drawRoundNonce();
    const error = refusal(() => reveal(swarm, changed, [0, 1, 2]));
    expect([error.code, error.height]).toEqual(['invalid-transition', 4]);
    expect(error.message).toContain("does not match its member's commit");
  });

  it('the last member to reveal, seeing every other reveal, leads no more often than by revealing (300 rounds)', () => {
    // Its best play: reveal when its committed nonce makes it leader, withhold otherwise. Withholding
    // takes it out of the order, so it leads exactly in the rounds its commit already decided. Nonces
    // come from a counter, so the run is the same on every machine.
    const ids = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)];
    const attacker = ids[2]!;
    let leads = 0;
    for (let trial = 0; trial < 300; trial += 1) {
      const nonces = ids.map((_, index) =>
        createHash('sha256').update(`trial ${trial} member ${index}`).digest('hex'),
      );
      const commits = ids.map((member, index) => ({
        member,
        commit: nonceCommit(nonces[index]!),
        signature: '',
      }));
      const reveals = ids.map((member, index) => ({ member, nonce: nonces[index]! }));
      const leaderIf = (shown: RoundReveal[]): string | undefined => {
        const outcome = revealOutcome(commits, shown);
        return leaderOrder(outcome.seed, outcome.revealed)[0];
      };
      const byRevealing = leaderIf(reveals) === attacker;
      expect(leaderIf(reveals.slice(0, 2))).not.toBe(attacker);
      if (byRevealing) leads += 1;
    }
    // About a third of the rounds: the seed, not the member, decides.
    expect(leads).toBeGreaterThan(70);
    expect(leads).toBeLessThan(130);
  });

  it('refuses a commit the proposer made up for another member, and commits out of member order', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const [leeds, lyon, leiden] = swarm.sites;
    const forged = { ...commitFor(swarm, leeds!, 1, drawRoundNonce()), member: lyon!.id };
    const commits = [commitFor(swarm, leeds!, 1, drawRoundNonce()), forged];
    expect(
      refusal(() =>
        swarm.add({ kind: 'round-start', round: 1, task: TASK, commits }, leeds!, [lyon!, leiden!]),
      ).message,
    ).toContain('not signed by that member');
    const reversed = [
      commitFor(swarm, lyon!, 1, drawRoundNonce()),
      commitFor(swarm, leeds!, 1, drawRoundNonce()),
    ];
    expect(
      refusal(() =>
        swarm.add({ kind: 'round-start', round: 1, task: TASK, commits: reversed }, leeds!, [lyon!]),
      ).message,
    ).toContain('member order');
    // A commit signed for round 1 cannot be replayed into round 2's start.
    const roundOne = commitFor(swarm, leeds!, 1, drawRoundNonce());
    expect(
      refusal(() =>
        swarm.add({ kind: 'round-start', round: 2, task: TASK, commits: [roundOne] }, leeds!, [lyon!]),
      ).message,
    ).toContain('next round is 1');
  });

  it('refuses an aggregate with a participant that took no part in the seed, or before the seed', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const nonces = startRound(swarm);
    const [leeds, lyon, leiden] = swarm.sites;
    const early = {
      kind: 'aggregate-commit' as const,
      round: 1,
      leader: leeds!.id,
      model: 'e'.repeat(64),
      serverState: null,
      participants: [leeds!.id],
      epsilonSpent: 0,
    };
    expect(refusal(() => swarm.add(early, leeds!, [lyon!])).message).toContain('no seed yet');
    reveal(swarm, nonces, [0, 2]);
    const leader = swarm.sites.find((s) => s.id === swarm.state.openRound?.seed?.order[0])!;
    const others = swarm.sites.filter((s) => s !== leader);
    const withAbsent = { ...early, leader: leader.id, participants: [leeds!.id, lyon!.id] };
    expect(refusal(() => swarm.add(withAbsent, leader, others)).message).toContain('did not take part');
    expect(leiden).toBeDefined();
  });

  it('a round that stalls can be started again under the same number, with fresh commits', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    startRound(swarm);
    const again = startRound(swarm);
    reveal(swarm, again, [0, 1, 2]);
    expect(swarm.state.openRound?.round).toBe(1);
    expect(swarm.state.openRound?.seed?.seed).toBe(roundSeed(again));
  });

  it('names the reveals a round-seed proposer left out, so an honest member refuses to sign it', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const nonces = startRound(swarm);
    const commits = swarm.state.openRound?.commits ?? [];
    const seen: RoundReveal[] = swarm.sites.map((site, index) => ({
      member: site.id,
      nonce: nonces[index]!,
    }));
    expect(omittedReveals(seen.slice(0, 2), seen, commits)).toEqual([swarm.sites[2]!.id]);
    expect(omittedReveals(seen, seen, commits)).toEqual([]);
    // A "reveal" that does not match its commit is not one the proposer had to include.
    expect(
      omittedReveals(
        seen.slice(0, 2),
        [...seen.slice(0, 2), { member: swarm.sites[2]!.id, nonce: drawRoundNonce() }],
        commits,
      ),
    ).toEqual([]);
  });
});
