// The Swarm page's channel through the real dispatcher on a real site, whose swarm.db holds a real
// ledger (three hospitals with real Ed25519 keys, countersigned entries stored by SwarmLedger): who
// is a member and how each is reached, the finished round and the one under way, and a damaged copy
// of the ledger reported as such. The database is only read: its bytes are the same afterwards.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/federation/index.ts';
import { IpcChannel, type SwarmStatusView } from '../../../shared/ipc/index.ts';
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
} from '../swarm/index.ts';
import { makeTestSite, signedBy, TEST_NOW, type TestSite } from '../swarm/testing/swarm-fixture.ts';
import { openHandlersTestSite, type HandlersTestSite } from './handlers-test-site.ts';

const TASK = createHash('sha256').update('nodule task').digest('hex');
const MODEL = createHash('sha256').update('model after round 1').digest('hex');

/** A member's signature of its nonce commit: Ed25519 over the tagged canonical statement (the ledger's format). */
function signCommit(statement: unknown, key: KeyObject): string {
  return sign(null, Buffer.from(`${ROUND_COMMIT_TAG}\n${canonicalJson(statement)}`), key).toString(
    'base64url',
  );
}

let site: HandlersTestSite;
beforeEach(() => {
  site = openHandlersTestSite();
});
afterEach(() => site.close());

/** Ash (reachable), Birch (relayed by Ash: this site), Cedar (behind a relay server). */
function buildSwarm(): { sites: TestSite[]; chain: SignedEntry[]; birch: TestSite } {
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
    model: MODEL,
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
function joinAsBirch(): { sites: TestSite[] } {
  const { sites, chain, birch } = buildSwarm();
  const paths = swarmPaths(site.agent.site.directory);
  mkdirSync(dirname(paths.signingKey), { recursive: true });
  writeFileSync(paths.signingKey, birch.signingKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(paths.settings, JSON.stringify({ name: 'Birch', address: birch.address }));
  const ledger = SwarmLedger.open(paths.db);
  ledger.append(chain);
  ledger.close();
  return { sites };
}

async function status(): Promise<Extract<SwarmStatusView, { inSwarm: true }>> {
  const view = await site.call(IpcChannel.swarmStatus, undefined);
  if (!view.inSwarm) throw new Error('expected a swarm');
  return view;
}

describe('swarm:status', () => {
  it('says a site that founded or joined no swarm is in none', async () => {
    expect(await site.call(IpcChannel.swarmStatus, undefined)).toEqual({ inSwarm: false });
  });

  it('shows the members, how each is reached, the ledger and its quorum', async () => {
    const { sites } = joinAsBirch();
    const view = await status();
    expect(view).toMatchObject({
      name: 'Northern nodule swarm',
      thisSite: 'Birch',
      height: 8,
      ledger: { verified: true, failedAt: null, problem: null },
      quorum: { needed: 2, of: 3, rule: 'majority' },
      roundsFinished: 1,
    });
    expect(view.members.map((m) => [m.name, m.reach, m.via, m.isThisSite])).toEqual([
      ['Ash', 'direct', null, false],
      ['Birch', 'through-member', 'Ash', true],
      ['Cedar', 'through-relay-server', 'relay.hospital.example', false],
    ]);
    expect(view.members.map((m) => m.id)).toEqual(sites.map((m) => m.id));
  });

  it('shows the last finished round (leader, model, privacy spent) and the round under way', async () => {
    joinAsBirch();
    const view = await status();
    expect(view.lastRound).toMatchObject({
      round: 1,
      stage: 'finished',
      participants: ['Ash', 'Birch', 'Cedar'],
      modelHash: MODEL,
      epsilonSpent: 0.42,
    });
    expect(['Ash', 'Birch', 'Cedar']).toContain(view.lastRound?.leader);
    expect(view.currentRound).toMatchObject({
      round: 2,
      stage: 'under-way',
      participants: ['Ash', 'Birch'],
      leftOut: ['Cedar'],
    });
    expect(['Ash', 'Birch']).toContain(view.currentRound?.leader);
  });

  it('reports a copy whose entry was changed, and shows what the entries before it say', async () => {
    joinAsBirch();
    const db = new Database(swarmPaths(site.agent.site.directory).db);
    // The round-seed of round 2 (the last entry) now claims other nonces: its signatures no longer fit.
    const last = db
      .prepare<[], { height: number; entry_json: string }>(
        'SELECT height, entry_json FROM ledger_entries ORDER BY height DESC LIMIT 1',
      )
      .get()!;
    const forged = last.entry_json
      .replace(/"nonce":"[0-9a-f]/, '"nonce":"f')
      .replace(/"nonce":"ff/, '"nonce":"fe');
    db.prepare('UPDATE ledger_entries SET entry_json = ? WHERE height = ?').run(forged, last.height);
    db.close();
    const view = await status();
    expect(view.ledger).toMatchObject({ verified: false, failedAt: 7 });
    expect(view.ledger.problem).toMatch(/signature|commit/);
    expect(view.height).toBe(7);
    expect(view.currentRound).toMatchObject({ round: 2, stage: 'drawing-leader', leader: null });
  });

  it('only reads swarm.db: its bytes are the same after the page has read it', async () => {
    joinAsBirch();
    const file = swarmPaths(site.agent.site.directory).db;
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    await status();
    await status();
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
  });
});
