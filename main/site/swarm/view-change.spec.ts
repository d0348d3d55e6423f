// Views at one height, on real swarm.db files in a temp dir with real Ed25519 keys: the signing record
// per (height, view), the promise a view statement makes, the lock a quorum's statements give, a fork
// across views caught with the signatures that prove it, and a swarm.db from before views migrated.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../../shared/node/index.ts';
import { verifyChain } from './chain-verification.ts';
import { equivocationProven } from './equivocation.ts';
import { proposeEntry } from './founding.ts';
import {
  entryHash,
  signEntryHash,
  type LedgerEntry,
  type SignedEntry,
  type ViewStatement,
} from './ledger-entry.ts';
import { SWARM_MIGRATIONS } from './swarm-database.ts';
import { SwarmLedger } from './swarm-ledger.ts';
import { buildTestSwarm, TEST_NOW, type TestSite } from './testing/swarm-fixture.ts';
import { signViewStatement, viewLock } from './view-change.ts';

let dir: string;
const open: SwarmLedger[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-swarm-views-'));
});
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Hospital {
  readonly site: TestSite;
  readonly ledger: SwarmLedger;
}

/** Leeds, Lyon and Leiden (q = 2), each with its own swarm.db holding the founding and the joins. */
function threeHospitals(): Hospital[] {
  const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
  return swarm.sites.map((site) => {
    const ledger = SwarmLedger.open(join(dir, `${site.name}.db`));
    open.push(ledger);
    ledger.append(swarm.chain);
    return { site, ledger };
  });
}

const signer = (h: Hospital) => ({ id: h.site.id, privateKey: h.site.signingKey });
const leave = (h: Hospital, proposer: Hospital = h): LedgerEntry =>
  proposeEntry(
    proposer.ledger.state!,
    proposer.site.id,
    { kind: 'leave', member: h.site.id, reason: h === proposer ? 'left' : 'removed' },
    TEST_NOW,
  );

function statement(h: Hospital, view: number, last: ViewStatement['last']): ViewStatement {
  const state = h.ledger.state!;
  return signViewStatement(
    { member: h.site.id, height: state.nextHeight, previous: state.tipHash, view, last },
    state.swarmId,
    h.site.signingKey,
  );
}

describe('views at one height of the swarm ledger', () => {
  it('an honest member signs one entry per (height, view), and nothing in a view it moved past, also after a restart', () => {
    const [leeds, lyon, leiden] = threeHospitals();
    const fromLyon = leave(lyon!);
    const fromLeiden = leave(leiden!);
    const lyonSigns = lyon!.ledger.countersign(fromLyon, signer(lyon!));
    leeds!.ledger.countersign(fromLyon, signer(leeds!), { authorSignature: lyonSigns });
    expect(() => leeds!.ledger.countersign(fromLeiden, signer(leeds!))).toThrow(
      expect.objectContaining({ code: 'already-signed' }),
    );
    // Leeds moves to view 1: its statement names what it signed in view 0, with Lyon's signature.
    const moved = leeds!.ledger.moveToView(1, signer(leeds!));
    expect(moved.statement.last).toEqual({
      view: 0,
      entry: entryHash(fromLyon),
      proposer: lyon!.site.id,
    });
    expect(moved.entry).toEqual(fromLyon);
    expect(moved.authorSignature).toEqual(lyonSigns);
    // A restarted Leeds keeps both its signature and its promise.
    leeds!.ledger.close();
    const reopened = SwarmLedger.open(join(dir, 'Leeds.db'));
    open.push(reopened);
    const again: Hospital = { site: leeds!.site, ledger: reopened };
    expect(() => again.ledger.countersign(fromLyon, signer(again))).toThrow(
      expect.objectContaining({ code: 'view-passed' }),
    );
    // In view 1 it signs the entry the quorum's statements lock, once; never another in that view.
    const change = {
      view: 1,
      statements: [moved.statement, leiden!.ledger.moveToView(1, signer(leiden!)).statement],
    };
    const inView1 = again.ledger.countersign(fromLyon, signer(again), { view: 1, viewChange: change });
    expect(inView1.view).toBe(1);
    expect(again.ledger.countersign(fromLyon, signer(again), { view: 1, viewChange: change })).toEqual(
      inView1,
    );
    expect(() =>
      again.ledger.countersign(fromLeiden, signer(again), { view: 1, viewChange: change }),
    ).toThrow(expect.objectContaining({ code: 'bad-view-change' }));
  });

  it("a view's statements lock the entry that could have committed; members refuse any other in that view", () => {
    const [leeds, lyon, leiden] = threeHospitals();
    const fromLyon = leave(lyon!);
    const lyonSigns = lyon!.ledger.countersign(fromLyon, signer(lyon!));
    leeds!.ledger.countersign(fromLyon, signer(leeds!), { authorSignature: lyonSigns });
    // Lyon is gone; Leeds and Leiden move to view 1. Leeds reports Lyon's entry, so it could have
    // committed (Leeds and the unheard Lyon make 2 of 3): Leiden may sign only it.
    const change = {
      view: 1,
      statements: [
        leeds!.ledger.moveToView(1, signer(leeds!)).statement,
        leiden!.ledger.moveToView(1, signer(leiden!)).statement,
      ],
    };
    expect(() =>
      leiden!.ledger.countersign(leave(leiden!), signer(leiden!), { view: 1, viewChange: change }),
    ).toThrow(/must be proposed again/);
    expect(() => leiden!.ledger.countersign(fromLyon, signer(leiden!), { view: 1 })).toThrow(
      expect.objectContaining({ code: 'bad-view-change' }),
    );
    const leidenSigns = leiden!.ledger.countersign(fromLyon, signer(leiden!), {
      view: 1,
      viewChange: change,
    });
    const leedsSigns = leeds!.ledger.countersign(fromLyon, signer(leeds!), { view: 1, viewChange: change });
    // The entry commits in view 1 with its author's view-0 signature and the view's statements.
    const committed: SignedEntry = {
      entry: fromLyon,
      signatures: [lyonSigns, leidenSigns, leedsSigns],
      viewChange: change,
    };
    leiden!.ledger.append([committed]);
    expect(leiden!.ledger.state?.members.map((m) => m.name)).toEqual(['Leeds', 'Leiden']);
    // Kept with its statements: the reopened file verifies again.
    leiden!.ledger.close();
    const reopened = SwarmLedger.open(join(dir, 'Leiden.db'));
    open.push(reopened);
    expect(reopened.entries(3, 1)[0]?.viewChange).toEqual(change);
    expect(reopened.state?.nextHeight).toBe(4);
    // Without the statements, a quorum in view 1 proves nothing.
    const bare = { entry: fromLyon, signatures: committed.signatures };
    expect(() => verifyChain(lyon!.ledger.state, [bare])).toThrow(
      expect.objectContaining({ code: 'bad-view-change', height: 3 }),
    );
  });

  it('the lock: the highest view names the entry; in the open view 0 an entry whose proposer stated it is not committed, and a tie waits for more', () => {
    const s = (member: string, last: ViewStatement['last']) =>
      ({ member, height: 3, previous: '0'.repeat(64), view: 2, last, signature: 'x' }) as ViewStatement;
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
    // Proposers '8' and '9' made no statement below unless named.
    const at = (view: number, entry: string, proposer = entry === a ? '8' : '9') => ({
      view,
      entry,
      proposer,
    });
    // 4 members, q = 3: a 2–2 split with everyone heard could not have committed either entry.
    const split = [s('1', at(0, a)), s('2', at(0, a))];
    const all = [...split, s('3', at(0, b)), s('4', at(0, b))];
    expect(viewLock(all, 4, 3)).toEqual({ kind: 'free' });
    expect(viewLock([...split, s('3', at(0, b))], 4, 3)).toEqual({ kind: 'locked', entry: a });
    // 3 members, q = 2, one unheard, proposers not heard: either entry could have its vote.
    expect(viewLock([s('1', at(0, a)), s('2', at(0, b))], 3, 2)).toEqual({
      kind: 'ambiguous',
      entries: [a, b],
    });
    // The same, but the two that answered are the two proposers: neither committed its own entry.
    expect(viewLock([s('1', at(0, a, '1')), s('2', at(0, b, '2'))], 3, 2)).toEqual({ kind: 'free' });
    // Its proposer stated and the other did not: only the other could have committed.
    expect(viewLock([s('1', at(0, a, '1')), s('2', at(0, b))], 3, 2)).toEqual({ kind: 'locked', entry: b });
    // A view above 0 had one coordinator, proposing only its lock: it wins over view 0, whatever the count.
    expect(viewLock([s('1', at(0, a)), s('2', at(0, a)), s('3', at(1, b))], 4, 3)).toEqual({
      kind: 'locked',
      entry: b,
    });
    expect(viewLock([s('1', null), s('2', null)], 3, 2)).toEqual({ kind: 'free' });
  });

  it('a fork across views is caught: the member that hid its signature in a statement is named, with proof', () => {
    const [leeds, lyon, leiden] = threeHospitals();
    const fromLyon = leave(lyon!);
    const lyonSigns = lyon!.ledger.countersign(fromLyon, signer(lyon!));
    const leedsSigns = leeds!.ledger.countersign(fromLyon, signer(leeds!), { authorSignature: lyonSigns });
    const committed = { entry: fromLyon, signatures: [lyonSigns, leedsSigns] };
    lyon!.ledger.append([committed]);
    // Leeds cheats: for view 1 it states, by hand around its signing record, that it signed nothing.
    const lie = statement(leeds!, 1, null);
    const change = { view: 1, statements: [lie, leiden!.ledger.moveToView(1, signer(leiden!)).statement] };
    const fromLeiden = leave(leiden!);
    const forked: SignedEntry = {
      entry: fromLeiden,
      signatures: [
        leiden!.ledger.countersign(fromLeiden, signer(leiden!), { view: 1, viewChange: change }),
        {
          member: leeds!.site.id,
          signature: signEntryHash(entryHash(fromLeiden), leeds!.site.signingKey, 1),
          view: 1,
        },
      ],
      viewChange: change,
    };
    // The forked entry alone is a valid entry in view 1 (the lie makes the lock free): Leiden takes it.
    leiden!.ledger.append([forked]);
    // Lyon holds the entry that committed in view 0: the fork is refused and Leeds is named.
    expect(() => lyon!.ledger.append([forked])).toThrow(/member\(s\) [0-9a-f]{32} signed both/);
    const proofs = lyon!.ledger.equivocations();
    expect(proofs.map((p) => [p.kind, p.member, p.height])).toEqual([
      ['hidden-signature', leeds!.site.id, 3],
    ]);
    expect(equivocationProven(proofs[0]!, leeds!.site.signingPublicKey)).toBe(true);
    expect(equivocationProven(proofs[0]!, leiden!.site.signingPublicKey)).toBe(false);
    expect(equivocationProven(proofs[0]!, lyon!.site.signingPublicKey)).toBe(false);
  });

  it('two entries signed in one view by one member are proven, and signatures in different views are not mistaken for it', () => {
    const [leeds, lyon, leiden] = threeHospitals();
    const fromLyon = leave(lyon!);
    const fromLeiden = leave(leiden!);
    const sign = (h: Hospital, entry: LedgerEntry, view: number) => ({
      member: h.site.id,
      signature: signEntryHash(entryHash(entry), h.site.signingKey, view),
      ...(view > 0 ? { view } : {}),
    });
    lyon!.ledger.append([
      { entry: fromLyon, signatures: [sign(lyon!, fromLyon, 0), sign(leeds!, fromLyon, 0)] },
    ]);
    // Leeds signs Leiden's entry in view 0 as well (a same-view equivocation).
    const forked = {
      entry: fromLeiden,
      signatures: [sign(leiden!, fromLeiden, 0), sign(leeds!, fromLeiden, 0)],
    };
    expect(() => lyon!.ledger.append([forked])).toThrow(expect.objectContaining({ code: 'conflict' }));
    const [proof] = lyon!.ledger.equivocations();
    expect(proof?.kind).toBe('two-entries');
    expect(equivocationProven(proof!, leeds!.site.signingPublicKey)).toBe(true);
    // A view-0 signature of one entry beside a view-1 signature of the other proves nothing alone.
    const across = { ...proof!, second: { ...(proof as { second: object }).second, view: 1 } };
    expect(equivocationProven(across as typeof proof & object, leeds!.site.signingPublicKey)).toBe(false);
  });

  it('a swarm.db from before views keeps its signing record: a height signed there stays signed, in view 0', () => {
    const [leeds, lyon] = threeHospitals();
    const path = join(dir, 'old.db');
    const old = openSqliteDatabase(path, { migrations: SWARM_MIGRATIONS.slice(0, 1), synchronous: 'FULL' });
    for (const signed of leeds!.ledger.entries())
      old
        .prepare(
          'INSERT INTO ledger_entries (height, hash, kind, entry_json, signatures_json, stored_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          signed.entry.height,
          entryHash(signed.entry),
          signed.entry.body.kind,
          JSON.stringify(signed.entry),
          JSON.stringify(signed.signatures),
          TEST_NOW.toISOString(),
        );
    const fromLyon = leave(lyon!);
    old
      .prepare(
        'INSERT INTO signing_record (swarm, height, entry_hash, signature, signed_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(leeds!.ledger.state!.swarmId, 3, entryHash(fromLyon), 'x'.repeat(86), TEST_NOW.toISOString());
    old.close();
    const migrated = SwarmLedger.open(path);
    open.push(migrated);
    expect(() => migrated.countersign(leave(leeds!), signer(leeds!))).toThrow(
      expect.objectContaining({ code: 'already-signed' }),
    );
    expect(migrated.record.signedAt(migrated.state!.swarmId, 3).map((s) => [s.view, s.hash])).toEqual([
      [0, entryHash(fromLyon)],
    ]);
  });
});
