// How long a member takes to verify a ledger page from a peer and to reopen its swarm.db, for
// docs/swarm-learning.md ("Figures"). Run: npx tsx main/site/swarm/testing/bench-ledger-verification.ts
// Builds a 5-member swarm, then 333 rounds (round-start, round-seed, aggregate-commit: 999 entries
// plus 5 for founding), every entry signed by all five, and times verifyChain and SwarmLedger.open.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { verifyChain } from '../chain-verification.ts';
import { SwarmLedger } from '../swarm-ledger.ts';
import { buildLongTestSwarm } from './long-ledger.ts';

const { swarm } = buildLongTestSwarm(333);
const wire = JSON.stringify(swarm.chain);
const parsed = JSON.parse(wire) as unknown[];
const started = performance.now();
verifyChain(null, parsed.slice(0, 1000));
const verifyMs = performance.now() - started;

const dir = mkdtempSync(join(tmpdir(), 'radfed-swarm-bench-'));
const path = join(dir, 'swarm.db');
const ledger = SwarmLedger.open(path);
const appendStarted = performance.now();
ledger.append(parsed.slice(0, 1000));
ledger.append(parsed.slice(1000));
const appendMs = performance.now() - appendStarted;
const againStarted = performance.now();
ledger.append(parsed.slice(0, 1000));
const againMs = performance.now() - againStarted;
ledger.close();
const openStarted = performance.now();
SwarmLedger.open(path).close();
const openMs = performance.now() - openStarted;
const fileBytes = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
rmSync(dir, { recursive: true, force: true });

console.log(`entries: ${swarm.chain.length}, members: 5, signatures per entry: 5`);
console.log(
  `wire size: ${(Buffer.byteLength(wire) / 1024).toFixed(0)} KiB (${(Buffer.byteLength(wire) / swarm.chain.length).toFixed(0)} B per entry)`,
);
console.log(`verifyChain, first 1000 entries: ${verifyMs.toFixed(0)} ms`);
console.log(`SwarmLedger.append, all entries (verify + store): ${appendMs.toFixed(0)} ms`);
console.log(`SwarmLedger.append, the first 1000 again (already held): ${againMs.toFixed(0)} ms`);
console.log(`SwarmLedger.open (re-verifies the stored chain): ${openMs.toFixed(0)} ms`);
console.log(`swarm.db on disk: ${(fileBytes / 1024).toFixed(0)} KiB`);
