// For the Swarm page's specs and browser checks: a swarm of three hospitals with real Ed25519 keys and a
// real countersigned ledger (stored by SwarmLedger in the site's swarm.db), written into a site folder
// as `radfed swarm join` leaves it for Birch: Ash reachable directly, Birch (this site) relayed by Ash,
// Cedar behind a relay server; round 1 finished by all three, round 2 under way without Cedar.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from '../../../../shared/federation/index.ts';
import {
  drawRoundNonce,
  genesisEntry,
  makeJoinRequest,
  nonceCommit,
  proposeEntry,
  roundCommitStatement,
  ROUND_COMMIT_TAG,
  SwarmLedger,
  swarmPaths,
  verifyChain,
  type EntryBody,
  type MembershipState,
  type SignedEntry,
} from '../../swarm/index.ts';
import { makeTestSite, signedBy, TEST_NOW, type TestSite } from '../../swarm/testing/swarm-fixture.ts';

const TASK = createHash('sha256').update('nodule task').digest('hex');
/** The model round 1 committed. */
export const TEST_SWARM_MODEL = createHash('sha256').update('model after round 1').digest('hex');

/** A member's signature of its nonce commit: Ed25519 over the tagged canonical statement (the ledger's format). */
function signCommit(statement: unknown, key: KeyObject): string {
  return sign(null, Buffer.from(`${ROUND_COMMIT_TAG}\n${canonicalJson(statement)}`), key).toString(
    'base64url',
  );
}

/** Ash (reachable), Birch (relayed by Ash: this site), Cedar (behind a relay server). */
function buildTestSwarmLedger(): { sites: TestSite[]; chain: SignedEntry[]; birch: TestSite } {
  const ash = makeTestSite('Ash');
  const birch = makeTestSite('Birch', `relay://${ash.id}`);
  const cedar = makeTestSite('Cedar', `relay+https://relay.hospital.example:8471/${'c'.repeat(32)}`);
  const sites = [ash, birch, cedar];
  const chain: SignedEntry[] = [
    signedBy(genesisEntry(ash, { name: 'Northern nodule swarm', quorumRule: 'majority', now: TEST_NOW }), [
      ash,
    ]),
  ];
  let state = verifyChain(null, chain).at(-1)?.state as MembershipState;
  const add = (body: EntryBody, proposer: TestSite, signers: readonly TestSite[]) => {
    const entry = signedBy(proposeEntry(state, proposer.id, body, TEST_NOW), [proposer, ...signers]);
    state = verifyChain(state, [entry]).at(-1)?.state as MembershipState;
    chain.push(entry);
  };
  for (const [index, joiner] of [birch, cedar].entries()) {
    const secret = randomBytes(32).toString('base64url');
    const request = makeJoinRequest(
      { inviterAddress: ash.address, swarmId: state.swarmId, inviterKeyFingerprint: ash.id, secret },
      joiner,
    );
    const body = { kind: 'join' as const, member: request.member, invitation: request.invitation };
    add({ ...body, requestSignature: request.signature }, ash, sites.slice(1, index + 1));
  }
  const startRound = (round: number, revealing: readonly TestSite[]) => {
    const nonces = sites.map(() => drawRoundNonce());
    const commits = sites.map((member, i) => {
      const commit = { member: member.id, commit: nonceCommit(nonces[i]!) };
      const statement = roundCommitStatement(state.swarmId, round, TASK, commit);
      return { ...commit, signature: signCommit(statement, member.signingKey) };
    });
    add({ kind: 'round-start', round, task: TASK, commits }, ash, [birch, cedar]);
    const reveals = revealing.map((m) => ({ member: m.id, nonce: nonces[sites.indexOf(m)]! }));
    add({ kind: 'round-seed', round, reveals }, ash, [birch, cedar]);
  };
  startRound(1, sites);
  const leader = sites.find((m) => m.id === state.openRound?.seed?.order[0])!;
  const aggregate: EntryBody = {
    kind: 'aggregate-commit',
    round: 1,
    leader: leader.id,
    model: TEST_SWARM_MODEL,
    serverState: null,
    participants: sites.map((m) => m.id),
    epsilonSpent: 0.42,
  };
  add(
    aggregate,
    leader,
    sites.filter((m) => m !== leader),
  );
  startRound(2, [ash, birch]);
  return { sites, chain, birch };
}

/** Writes the swarm's files into the site folder as `radfed swarm join` leaves them for Birch. */
export function writeTestSwarm(siteDir: string): { sites: TestSite[] } {
  const { sites, chain, birch } = buildTestSwarmLedger();
  const paths = swarmPaths(siteDir);
  mkdirSync(dirname(paths.signingKey), { recursive: true });
  writeFileSync(paths.signingKey, birch.signingKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(paths.settings, JSON.stringify({ name: 'Birch', address: birch.address }));
  const ledger = SwarmLedger.open(paths.db);
  ledger.append(chain);
  ledger.close();
  return { sites };
}
