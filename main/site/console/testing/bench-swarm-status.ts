// How long the Swarm page's read takes on a long ledger: 5 members, 333 rounds (1004 entries, every
// entry signed by all five), stored in a swarm.db in a temp folder. The first read verifies every
// entry; later reads hash the stored rows and verify only what is new (swarm-status.ts).
// Run: npx tsx main/site/console/testing/bench-swarm-status.ts
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { canonicalJson } from '../../../../shared/federation/index.ts';
import { sign } from 'node:crypto';
import {
  drawRoundNonce,
  nonceCommit,
  roundCommitStatement,
  ROUND_COMMIT_TAG,
  SwarmLedger,
  swarmPaths,
} from '../../swarm/index.ts';
import { buildTestSwarm } from '../../swarm/testing/swarm-fixture.ts';
import { readSwarmStatus } from '../swarm-status.ts';

const ROUNDS = 333;
const task = createHash('sha256').update('bench task').digest('hex');
const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden', 'Lund', 'Lille']);
const [first, ...rest] = swarm.sites;
if (first === undefined) throw new Error('no founder');
for (let round = 1; round <= ROUNDS; round += 1) {
  const nonces = swarm.sites.map(() => drawRoundNonce());
  const commits = swarm.sites.map((site, index) => {
    const commit = { member: site.id, commit: nonceCommit(nonces[index] ?? '') };
    const statement = roundCommitStatement(swarm.state.swarmId, round, task, commit);
    const bytes = Buffer.from(`${ROUND_COMMIT_TAG}\n${canonicalJson(statement)}`);
    return { ...commit, signature: sign(null, bytes, site.signingKey).toString('base64url') };
  });
  swarm.add({ kind: 'round-start', round, task, commits }, first, rest);
  const reveals = swarm.sites.map((site, index) => ({ member: site.id, nonce: nonces[index] ?? '' }));
  swarm.add({ kind: 'round-seed', round, reveals }, first, rest);
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

const dir = mkdtempSync(join(tmpdir(), 'radfed-swarm-status-bench-'));
const paths = swarmPaths(dir);
mkdirSync(dirname(paths.signingKey), { recursive: true });
writeFileSync(paths.signingKey, first.signingKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(paths.settings, JSON.stringify({ name: first.name, address: first.address }));
const ledger = SwarmLedger.open(paths.db);
ledger.append(swarm.chain.slice(0, 1000));
ledger.append(swarm.chain.slice(1000));
ledger.close();

const time = (): number => {
  const started = performance.now();
  const view = readSwarmStatus(dir);
  if (!view.inSwarm || !view.ledger.verified) throw new Error('expected a verified swarm');
  return performance.now() - started;
};
const firstRead = time();
const later = [time(), time(), time(), time(), time()].sort((a, b) => a - b);
rmSync(dir, { recursive: true, force: true });
console.log(`entries: ${swarm.chain.length}, members: 5, signatures per entry: 5`);
console.log(`first read (verifies every entry): ${firstRead.toFixed(0)} ms`);
console.log(`later reads, unchanged copy (median of 5): ${later[2]?.toFixed(0)} ms`);
