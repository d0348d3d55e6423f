// How long the Swarm page's read takes on a long ledger: 5 members, 333 rounds (1004 entries, every
// entry signed by all five), stored in a swarm.db in a temp folder. The first read verifies every
// entry; later reads hash the stored rows and verify only what is new (swarm-status.ts).
// Run: npx tsx main/site/console/testing/bench-swarm-status.ts
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SwarmLedger, swarmPaths } from '../../swarm/index.ts';
import { buildLongTestSwarm } from '../../swarm/testing/long-ledger.ts';
import { readSwarmStatus } from '../swarm-status.ts';

const { swarm, founder: first } = buildLongTestSwarm(333);

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
