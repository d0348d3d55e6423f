// View changes on the peer network (real loopback sockets, mutual TLS, real swarm.db files): a height
// whose votes split between two proposers, and a proposer gone after its quorum signed and before
// anyone saw the entry. Before views, both stalled the ledger for good: every member had signed that
// height once and refused to sign it again.
import { afterEach, describe, expect, it } from 'vitest';
import { proposeEntry } from './founding.ts';
import { entryHash, type EntryBody, type EntrySignature, type LedgerEntry } from './ledger-entry.ts';
import type { SwarmNode } from './swarm-node.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';
import { viewCoordinator } from './view-change.ts';

let bed: PeerTestBed;
afterEach(async () => {
  await bed.close();
});

const signer = (node: SwarmNode) => ({ id: node.id, privateKey: node.identity.signingKey });
const leaving = (node: SwarmNode): EntryBody => ({ kind: 'leave', member: node.id, reason: 'left' });
const entryOf = (node: SwarmNode): LedgerEntry =>
  proposeEntry(node.state, node.id, leaving(node), new Date());

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('The swarm did not get there in time.');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('swarm view changes on the peer network', () => {
  it('two proposers split the votes 2–2 at one height; the view change commits exactly one and the chain moves on', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar', 'Dogwood']);
    const [alder, birch, cedar, dogwood] = nodes as [SwarmNode, SwarmNode, SwarmNode, SwarmNode];
    const height = alder.state.nextHeight;
    // The split, made deterministic: Alder's entry reached Cedar first, Birch's reached Dogwood first.
    const fromAlder = entryOf(alder);
    const fromBirch = entryOf(birch);
    const alderSigns = alder.ledger.countersign(fromAlder, signer(alder));
    cedar.ledger.countersign(fromAlder, signer(cedar), { authorSignature: alderSigns });
    const birchSigns = birch.ledger.countersign(fromBirch, signer(birch));
    dogwood.ledger.countersign(fromBirch, signer(dogwood), { authorSignature: birchSigns });
    // Each proposer tries again and again: 2 of 4 signatures each, and the swarm needs 3.
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(alder.propose(leaving(alder))).rejects.toMatchObject({ code: 'quorum-short' });
      await expect(birch.propose(leaving(birch))).rejects.toMatchObject({ code: 'quorum-short' });
    }
    expect(nodes.map((n) => n.state.nextHeight)).toEqual([height, height, height, height]);

    const coordinator = nodes.find((n) => n.id === viewCoordinator(alder.state, 1)) as SwarmNode;
    const committed = await coordinator.views.changeView();
    const winner = entryHash(committed!.entry);
    expect([entryHash(fromAlder), entryHash(fromBirch)]).toContain(winner);
    expect(committed!.viewChange?.view).toBe(1);
    expect(committed!.signatures.filter((s) => s.view === 1).length).toBeGreaterThanOrEqual(3);
    await Promise.all(nodes.map((n) => n.catchUp()));
    // Every member holds that entry at the height (the one that left may not have heard: never another).
    const held = nodes.map((n) => n.ledger.entries(height, 1)[0]);
    expect(held.filter((h) => h !== undefined).length).toBeGreaterThanOrEqual(3);
    for (const h of held) if (h !== undefined) expect(entryHash(h.entry)).toBe(winner);
    // The chain moves on: the other proposer's leave commits at the next height, among the three left.
    const loser = winner === entryHash(fromAlder) ? birch : alder;
    const next = await loser.propose(leaving(loser));
    expect(next.entry.height).toBe(height + 1);
    for (const n of [cedar, dogwood]) {
      await n.catchUp();
      expect(n.state.nextHeight).toBe(height + 2);
      expect(n.state.members.map((m) => m.name).sort()).toEqual(['Cedar', 'Dogwood']);
    }
  }, 60_000);

  it('a proposer dies after its quorum signed and before it sent the entry: the next view commits that same entry', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar'], { viewTimeoutMs: 1_000 });
    const [alder, birch, cedar] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    const height = alder.state.nextHeight;
    // Alder collects its quorum over the network (Birch and Cedar sign, in view 0) ...
    const entry = entryOf(alder);
    const own = alder.ledger.countersign(entry, signer(alder));
    const answers = (await Promise.all(
      [birch, cedar].map((peer) =>
        alder.client.send(
          { id: peer.id, address: peer.identity.address, signingKey: peer.identity.signingPublicKey },
          alder.state.swarmId,
          'countersign',
          { entry, authorSignature: own },
        ),
      ),
    )) as EntrySignature[];
    expect(answers.map((a) => a.member).sort()).toEqual([birch.id, cedar.id].sort());
    // ... and dies before it stores or sends it.
    await bed.stop(alder);
    // Birch and Cedar time out, move views, and the coordinator finishes Alder's entry.
    await until(() => [birch, cedar].every((n) => n.state.nextHeight === height + 1), 30_000);
    for (const node of [birch, cedar]) {
      const [held] = node.ledger.entries(height, 1);
      expect(entryHash(held!.entry)).toBe(entryHash(entry));
      expect(held!.viewChange?.view).toBeGreaterThanOrEqual(1);
      // Alder's own view-0 signature travelled with the members' records: it is the author's.
      expect(held!.signatures).toContainEqual(own);
    }
    expect(birch.state.members.map((m) => m.name).sort()).toEqual(['Birch', 'Cedar']);
  }, 60_000);

  it('a proposer alone (the others down) moves to no later view, and its entry commits when they return', async () => {
    bed = new PeerTestBed();
    const { nodes, keys } = await bed.swarm(['Alder', 'Birch', 'Cedar'], { viewTimeoutMs: 200 });
    const [alder, birch, cedar] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    const height = alder.state.nextHeight;
    const ports = [await bed.stop(birch), await bed.stop(cedar)];
    const first = await alder.propose(leaving(alder)).catch((error: unknown) => error);
    expect(first).toMatchObject({ code: 'quorum-short' });
    const [pending] = alder.ledger.record.signedAt(alder.state.swarmId, alder.state.nextHeight);
    // Many view timeouts pass; with nobody to answer, Alder promises no view.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(alder.ledger.record.promisedView(alder.state.swarmId, alder.state.nextHeight)).toBe(0);
    await bed.start(keys[1]!, { port: ports[0]!, viewTimeoutMs: 200 });
    await bed.start(keys[2]!, { port: ports[1]!, viewTimeoutMs: 200 });
    // Its entry commits: by its proposing again in view 0, or by its own timeout's view change, which
    // now finds the others to answer (whichever comes first; before, it had bound itself to a later view).
    await alder.propose(leaving(alder)).catch(() => null);
    await until(() => alder.state.nextHeight > height, 20_000);
    expect(entryHash(alder.ledger.entries(height, 1)[0]!.entry)).toBe(pending!.hash);
  }, 60_000);

  it('an entry the others refuse (their own checks) moves the height to no later view: they still commit a fresh one there', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const [alder, birch, cedar] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    const height = alder.state.nextHeight;
    // Birch and Cedar refuse Alder's entry, as a round's review refuses an aggregate it cannot verify.
    for (const node of [birch, cedar])
      node.countersignCheck = (entry) =>
        (entry as { proposer?: string }).proposer === alder.id
          ? Promise.reject(new Error('This member cannot verify that entry.'))
          : Promise.resolve();
    await expect(alder.propose(leaving(alder))).rejects.toMatchObject({ code: 'quorum-short' });
    // Alder's view change, in a view it coordinates, finds two of three members free: it does nothing.
    const view = [1, 2, 3].find((v) => viewCoordinator(alder.state, v) === alder.id)!;
    expect(await alder.views.changeView(view)).toBeNull();
    expect(birch.ledger.record.promisedView(birch.state.swarmId, height)).toBe(0);
    const fresh = await birch.propose(leaving(birch));
    expect(fresh.entry.height).toBe(height);
    expect(fresh.viewChange).toBeUndefined();
  }, 60_000);

  it('three members, one down, two proposing at once: neither proposer committed its own, so the view change finishes one', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const [alder, birch, cedar] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    const height = alder.state.nextHeight;
    await bed.stop(cedar);
    // Both propose to remove Cedar at the same instant: each signed its own, and the other refuses it.
    const removal: EntryBody = { kind: 'leave', member: cedar.id, reason: 'removed' };
    const fromAlder = proposeEntry(alder.state, alder.id, removal, new Date());
    const fromBirch = proposeEntry(birch.state, birch.id, removal, new Date(Date.now() + 1));
    alder.ledger.countersign(fromAlder, signer(alder));
    birch.ledger.countersign(fromBirch, signer(birch));
    await expect(alder.propose(removal)).rejects.toMatchObject({ code: 'quorum-short' });
    await expect(birch.propose(removal)).rejects.toMatchObject({ code: 'quorum-short' });
    // The first view a live member coordinates (Cedar, down, may coordinate view 1).
    const view = [1, 2, 3].find((v) => viewCoordinator(alder.state, v) !== cedar.id)!;
    const coordinator = viewCoordinator(alder.state, view) === alder.id ? alder : birch;
    const committed = await coordinator.views.changeView(view);
    expect([entryHash(fromAlder), entryHash(fromBirch)]).toContain(entryHash(committed!.entry));
    await Promise.all([alder, birch].map((n) => n.catchUp()));
    expect([alder, birch].map((n) => n.state.nextHeight)).toEqual([height + 1, height + 1]);
    expect(alder.state.members.map((m) => m.name)).toEqual(['Alder', 'Birch']);
  }, 60_000);
});
