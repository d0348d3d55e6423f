// A long ledger for the benchmarks that time reading one (bench-ledger-verification.ts, the console's
// bench-swarm-status.ts): 5 members, then `rounds` rounds of round-start, round-seed and
// aggregate-commit (3 entries a round, plus 5 for founding), every entry signed by all five.
import { createHash } from 'node:crypto';
import { signStatement } from '../ledger-entry.ts';
import { drawRoundNonce, nonceCommit } from '../leader-election.ts';
import { ROUND_COMMIT_TAG, roundCommitStatement } from '../membership.ts';
import { buildTestSwarm, type TestSite, type TestSwarm } from './swarm-fixture.ts';

export function buildLongTestSwarm(rounds: number): { swarm: TestSwarm; founder: TestSite } {
  const task = createHash('sha256').update('bench task').digest('hex');
  const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden', 'Lund', 'Lille']);
  const [founder, ...rest] = swarm.sites;
  if (founder === undefined) throw new Error('no founder');
  for (let round = 1; round <= rounds; round += 1) {
    const nonces = swarm.sites.map(() => drawRoundNonce());
    const commits = swarm.sites.map((site, index) => {
      const commit = { member: site.id, commit: nonceCommit(nonces[index] ?? '') };
      const statement = roundCommitStatement(swarm.state.swarmId, round, task, commit);
      return { ...commit, signature: signStatement(ROUND_COMMIT_TAG, statement, site.signingKey) };
    });
    swarm.add({ kind: 'round-start', round, task, commits }, founder, rest);
    const reveals = swarm.sites.map((site, index) => ({ member: site.id, nonce: nonces[index] ?? '' }));
    swarm.add({ kind: 'round-seed', round, reveals }, founder, rest);
    const leader = swarm.sites.find((site) => site.id === swarm.state.openRound?.seed?.order[0]);
    if (leader === undefined) throw new Error('no leader');
    const body = {
      kind: 'aggregate-commit' as const,
      round,
      leader: leader.id,
      model: task,
      serverState: null,
      participants: swarm.sites.map((site) => site.id),
      epsilonSpent: 0.01 * round,
    };
    swarm.add(
      body,
      leader,
      swarm.sites.filter((site) => site !== leader),
    );
  }
  return { swarm, founder };
}
