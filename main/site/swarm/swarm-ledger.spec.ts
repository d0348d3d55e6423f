// Each hospital keeps its own copy of the ledger in a real swarm.db in a temp dir, with real Ed25519
// keys: founding and joins through invitations, the signing record that keeps an honest member from
// forking the log, equivocation proofs, quorum loss and recovery, and a tampered file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { equivocationProven } from './equivocation.ts';
import {
  genesisEntry,
  joinEntryFor,
  makeJoinRequest,
  proposeEntry,
  verifyInvitedLedger,
} from './founding.ts';
import { InvitationBook } from './invitation-book.ts';
import { parseSwarmInvitation } from './invitation-token.ts';
import {
  signEntryHash,
  entryHash,
  type EntrySignature,
  type LedgerEntry,
  type SignedEntry,
} from './ledger-entry.ts';
import { LedgerVerificationError, SwarmError } from './swarm-error.ts';
import { SwarmLedger } from './swarm-ledger.ts';
import { makeTestSite, TEST_NOW, type TestSite } from './testing/swarm-fixture.ts';

let dir: string;
const open: SwarmLedger[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-swarm-ledger-'));
});
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Hospital {
  readonly site: TestSite;
  readonly path: string;
  ledger: SwarmLedger;
}

function hospital(name: string): Hospital {
  const path = join(dir, `${name}.db`);
  const ledger = SwarmLedger.open(path);
  open.push(ledger);
  return { site: makeTestSite(name), path, ledger };
}

const asSigner = (h: Hospital) => ({ id: h.site.id, privateKey: h.site.signingKey });

/** Collects countersignatures of `entry` from `signers`' ledgers and appends it at every hospital. */
function commit(
  entry: LedgerEntry,
  signers: readonly Hospital[],
  everyone: readonly Hospital[],
): SignedEntry {
  const signatures: EntrySignature[] = signers.map((h) => h.ledger.countersign(entry, asSigner(h)));
  const signed = { entry, signatures };
  for (const h of everyone) h.ledger.append([signed]);
  return signed;
}

/** Leeds founds a swarm and admits Lyon and Leiden through invitations. */
function threeHospitals(): Hospital[] {
  const [leeds, lyon, leiden] = [hospital('Leeds'), hospital('Lyon'), hospital('Leiden')];
  const genesis = genesisEntry(leeds.site, { name: 'Nodule consortium', now: TEST_NOW });
  commit(genesis, [leeds], [leeds]);
  const book = new InvitationBook(leeds.ledger.db);
  const members = [leeds];
  for (const joiner of [lyon, leiden]) {
    const state = leeds.ledger.state!;
    const token = book.issue({
      swarmId: state.swarmId,
      inviterAddress: leeds.site.address,
      inviterKeyFingerprint: leeds.site.id,
      now: TEST_NOW,
    });
    const invitation = parseSwarmInvitation(token);
    const request = makeJoinRequest(invitation, joiner.site);
    const entry = joinEntryFor(state, book, request, leeds.site.id, TEST_NOW);
    commit(entry, members, members);
    // The joiner takes the whole ledger, checked against its invitation's pins.
    verifyInvitedLedger(leeds.ledger.entries(), invitation, joiner.site.id);
    joiner.ledger.append(leeds.ledger.entries());
    members.push(joiner);
  }
  return [leeds, lyon, leiden];
}

function leaveEntry(h: Hospital): LedgerEntry {
  const state = h.ledger.state!;
  return proposeEntry(state, h.site.id, { kind: 'leave', member: h.site.id, reason: 'left' }, TEST_NOW);
}

describe("a hospital's copy of the swarm ledger", () => {
  it('founds a swarm, admits two hospitals by invitation, and reopens to the same state', () => {
    const hospitals = threeHospitals();
    for (const h of hospitals) {
      expect(h.ledger.state?.members.map((m) => m.name)).toEqual(['Leeds', 'Lyon', 'Leiden']);
      expect(h.ledger.state?.tipHash).toBe(hospitals[0]!.ledger.state?.tipHash);
    }
    const lyon = hospitals[1]!;
    lyon.ledger.close();
    open.splice(open.indexOf(lyon.ledger), 1);
    const reopened = SwarmLedger.open(lyon.path);
    open.push(reopened);
    expect(reopened.state?.nextHeight).toBe(3);
    expect(reopened.entries()).toEqual(hospitals[0]!.ledger.entries());
  });

  it('takes an entry it already holds again without change', () => {
    const [leeds] = threeHospitals();
    expect(leeds!.ledger.append(leeds!.ledger.entries())).toEqual([]);
    expect(leeds!.ledger.state?.nextHeight).toBe(3);
  });

  it("an honest member's signing record refuses a second, different entry at one height, also after a restart", () => {
    const [leeds, lyon] = threeHospitals();
    const first = leaveEntry(lyon!);
    const second = proposeEntry(
      leeds!.ledger.state!,
      lyon!.site.id,
      { kind: 'leave', member: leeds!.site.id, reason: 'removed' },
      TEST_NOW,
    );
    const signature = leeds!.ledger.countersign(first, asSigner(leeds!));
    expect(leeds!.ledger.countersign(first, asSigner(leeds!))).toEqual(signature);
    leeds!.ledger.close();
    open.splice(open.indexOf(leeds!.ledger), 1);
    leeds!.ledger = SwarmLedger.open(leeds!.path);
    open.push(leeds!.ledger);
    expect(() => leeds!.ledger.countersign(second, asSigner(leeds!))).toThrow(
      expect.objectContaining({ code: 'already-signed' }),
    );
  });

  it('two proposals at one height: one commits, the other cannot reach a quorum of honest members', () => {
    const [leeds, lyon, leiden] = threeHospitals();
    const fromLyon = leaveEntry(lyon!);
    const fromLeiden = leaveEntry(leiden!);
    commit(fromLyon, [lyon!, leeds!], [leeds!, lyon!]);
    // Leeds already signed height 3 and refuses; Lyon's ledger has moved on.
    expect(() => leeds!.ledger.countersign(fromLeiden, asSigner(leeds!))).toThrow(SwarmError);
    const alone = {
      entry: fromLeiden,
      signatures: [leiden!.ledger.countersign(fromLeiden, asSigner(leiden!))],
    };
    expect(() => leiden!.ledger.append([alone])).toThrow(
      expect.objectContaining({ code: 'quorum-short', height: 3 }),
    );
    leiden!.ledger.append(leeds!.ledger.entries(3));
    expect(leiden!.ledger.state?.members.map((m) => m.name)).toEqual(['Leeds', 'Leiden']);
  });

  it('a member that signs both sides of a fork is named, and the proof verifies under its key only', () => {
    const [leeds, lyon, leiden] = threeHospitals();
    const fromLyon = leaveEntry(lyon!);
    const fromLeiden = leaveEntry(leiden!);
    commit(fromLyon, [lyon!, leeds!], [lyon!]);
    // Leeds cheats: it signs Leiden's entry too, by hand, around its signing record.
    const cheat = {
      member: leeds!.site.id,
      signature: signEntryHash(entryHash(fromLeiden), leeds!.site.signingKey),
    };
    const forked = {
      entry: fromLeiden,
      signatures: [leiden!.ledger.countersign(fromLeiden, asSigner(leiden!)), cheat],
    };
    leiden!.ledger.append([forked]);
    // Lyon receives Leiden's branch: refused, Leeds named, the proof kept.
    expect(() => lyon!.ledger.append([forked])).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => lyon!.ledger.append([forked])).toThrow(/member\(s\) [0-9a-f]{32} signed both/);
    const proofs = lyon!.ledger.equivocations();
    expect(proofs.map((p) => [p.member, p.height])).toEqual([[leeds!.site.id, 3]]);
    expect(equivocationProven(proofs[0]!, leeds!.site.signingPublicKey)).toBe(true);
    expect(equivocationProven(proofs[0]!, leiden!.site.signingPublicKey)).toBe(false);
  });

  it('loses quorum: nothing commits while two of three are away, and it commits when one returns', () => {
    const [leeds, lyon] = threeHospitals();
    const entry = leaveEntry(lyon!);
    const lyonOnly = { entry, signatures: [lyon!.ledger.countersign(entry, asSigner(lyon!))] };
    expect(() => lyon!.ledger.append([lyonOnly])).toThrow(expect.objectContaining({ code: 'quorum-short' }));
    expect(lyon!.ledger.state?.nextHeight).toBe(3);
    const back = {
      entry,
      signatures: [...lyonOnly.signatures, leeds!.ledger.countersign(entry, asSigner(leeds!))],
    };
    lyon!.ledger.append([back]);
    expect(lyon!.ledger.state?.members).toHaveLength(2);
  });

  it('refuses to countersign an entry that may not follow its tip (a replay or a non-member)', () => {
    const [leeds, lyon] = threeHospitals();
    const replay = leeds!.ledger.entries(1, 1)[0]!.entry;
    expect(() => leeds!.ledger.countersign(replay, asSigner(leeds!))).toThrow(
      expect.objectContaining({ code: 'wrong-height', height: 3 }),
    );
    const outsider = hospital('Outsider');
    expect(() => lyon!.ledger.countersign(leaveEntry(lyon!), asSigner(outsider))).toThrow(
      expect.objectContaining({ code: 'unknown-member' }),
    );
  });

  it('refuses to countersign an entry on another tip or another swarm, so its signing record keeps the height free', () => {
    const [leeds, lyon] = threeHospitals();
    const honest = leaveEntry(lyon!);
    // A proposer hands out entries that can never commit, to use up the members' signatures at height 3.
    const offTip = { ...honest, previous: 'ab'.repeat(32) };
    const otherSwarm = { ...honest, swarm: 'cd'.repeat(32) };
    const malformed = { ...honest, proposedAt: 'yesterday' } as LedgerEntry;
    for (const entry of [offTip, otherSwarm, malformed])
      expect(() => leeds!.ledger.countersign(entry, asSigner(leeds!))).toThrow(LedgerVerificationError);
    expect(() => leeds!.ledger.countersign(offTip, asSigner(leeds!))).toThrow(/does not follow the hash/);
    commit(honest, [lyon!, leeds!], [leeds!]);
    expect(leeds!.ledger.state?.members).toHaveLength(2);
  });

  it('an invitation admits once, and not after it expires', () => {
    const leeds = hospital('Leeds');
    commit(genesisEntry(leeds.site, { name: 'Swarm', now: TEST_NOW }), [leeds], [leeds]);
    const book = new InvitationBook(leeds.ledger.db);
    const state = leeds.ledger.state!;
    const issue = () =>
      parseSwarmInvitation(
        book.issue({
          swarmId: state.swarmId,
          inviterAddress: 'https://leeds.example',
          inviterKeyFingerprint: leeds.site.id,
          now: TEST_NOW,
          validForDays: 1,
        }),
      );
    const invitation = issue();
    const request = makeJoinRequest(invitation, makeTestSite('Lyon'));
    joinEntryFor(state, book, request, leeds.site.id, TEST_NOW);
    expect(() => joinEntryFor(state, book, request, leeds.site.id, TEST_NOW)).toThrow(/already used/);
    const late = makeJoinRequest(issue(), makeTestSite('Leiden'));
    const twoDaysLater = new Date(TEST_NOW.getTime() + 2 * 86_400_000);
    expect(() => joinEntryFor(state, book, late, leeds.site.id, twoDaysLater)).toThrow(/expired/);
    const forged = makeJoinRequest({ ...invitation, secret: 'A'.repeat(43) }, makeTestSite('Mallory'));
    expect(() => joinEntryFor(state, book, forged, leeds.site.id, TEST_NOW)).toThrow(
      /not issued by this member/,
    );
  });

  it('refuses to open a swarm.db whose stored entry was edited, naming the height', () => {
    const [leeds] = threeHospitals();
    leeds!.ledger.close();
    open.splice(open.indexOf(leeds!.ledger), 1);
    const db = new Database(leeds!.path);
    const row = db
      .prepare<[], { entry_json: string }>('SELECT entry_json FROM ledger_entries WHERE height = 2')
      .get()!;
    db.prepare('UPDATE ledger_entries SET entry_json = ? WHERE height = 2').run(
      row.entry_json.replace('Leiden', 'Leidem'),
    );
    db.close();
    let error: unknown;
    try {
      open.push(SwarmLedger.open(leeds!.path));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LedgerVerificationError);
    expect(error).toMatchObject({ code: 'bad-signature', height: 2 });
  });
});
