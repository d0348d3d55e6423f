// The Swarm page's channel through the real dispatcher on a real site, whose swarm.db holds a real
// ledger (three hospitals with real Ed25519 keys, countersigned entries stored by SwarmLedger): who
// is a member and how each is reached, the finished round and the one under way, and a damaged copy
// of the ledger reported as such. The database is only read: its bytes are the same afterwards.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel, type SwarmStatusView } from '../../../shared/ipc/index.ts';
import { swarmPaths } from '../swarm/index.ts';
import { openHandlersTestSite, type HandlersTestSite } from './handlers-test-site.ts';
import { TEST_SWARM_MODEL as MODEL, writeTestSwarm } from './testing/swarm-test-ledger.ts';

let site: HandlersTestSite;
beforeEach(() => {
  site = openHandlersTestSite();
});
afterEach(() => site.close());

const joinAsBirch = () => writeTestSwarm(site.agent.site.directory);

/** Changes the stored entry at `height` in place, as someone with write access to the file could. */
function changeEntry(height: number, change: (json: string) => string): void {
  const db = new Database(swarmPaths(site.agent.site.directory).db);
  const row = db
    .prepare<[number], { entry_json: string }>('SELECT entry_json FROM ledger_entries WHERE height = ?')
    .get(height)!;
  const changed = change(row.entry_json);
  expect(changed).not.toBe(row.entry_json);
  db.prepare('UPDATE ledger_entries SET entry_json = ? WHERE height = ?').run(changed, height);
  db.close();
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
    expect((await status()).ledger.verified).toBe(true);
    // The round-seed of round 2 (the last entry) now claims other nonces: its signatures no longer fit.
    // Its first nonce's first digit, flipped whatever it was (the two replaces left a nonce starting
    // "f0".."fe" unchanged, about 1 run in 17).
    changeEntry(7, (json) =>
      json.replace(/"nonce":"([0-9a-f])/, (_, digit: string) => `"nonce":"${digit === 'f' ? 'e' : 'f'}`),
    );
    const view = await status();
    expect(view.ledger).toMatchObject({ verified: false, failedAt: 7 });
    expect(view.ledger.problem).toMatch(/signature|commit/);
    expect(view.height).toBe(7);
    expect(view.currentRound).toMatchObject({ round: 2, stage: 'drawing-leader', leader: null });
    // Round 1's aggregate is before the changed entry: still shown.
    expect(view.lastRound).toMatchObject({ round: 1, modelHash: MODEL });
  });

  it('finds a change to an entry it verified on an earlier read (nothing is trusted from before)', async () => {
    joinAsBirch();
    expect((await status()).ledger.verified).toBe(true);
    // Birch's join entry (height 1) now gives Birch another name.
    changeEntry(1, (json) => json.replace('"name":"Birch"', '"name":"Beech"'));
    const view = await status();
    expect(view.ledger).toMatchObject({ verified: false, failedAt: 1 });
    expect(view.members.map((m) => m.name)).toEqual(['Ash']);
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
