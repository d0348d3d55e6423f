// Benchmark: how long a stalled height takes to move on by a view change, on loopback mutual TLS with
// real swarm.db files, `runs` times each:
// - split: four members, two proposers split the votes 2–2; the time of the view-1 coordinator's
//   `changeView` (statements from all, the lock, the entry collected again in view 1);
// - dead: three members with a view timeout of `timeoutMs`; a proposer collects its quorum and dies
//   before it sends the entry; the time from its death to the entry's commit at both survivors (the
//   timeouts until a live member coordinates, plus that view change).
//   npx tsx main/site/swarm/testing/bench-view-change.ts [runs=3] [timeoutMs=1000]
import { proposeEntry } from '../founding.ts';
import type { EntryBody } from '../ledger-entry.ts';
import type { SwarmNode } from '../swarm-node.ts';
import { viewCoordinator } from '../view-change.ts';
import { PeerTestBed } from './peer-swarm.ts';

const runs = Number(process.argv[2] ?? 3);
const timeoutMs = Number(process.argv[3] ?? 1000);
const signer = (node: SwarmNode) => ({ id: node.id, privateKey: node.identity.signingKey });
const leaving = (node: SwarmNode): EntryBody => ({ kind: 'leave', member: node.id, reason: 'left' });

async function split(): Promise<number> {
  const bed = new PeerTestBed();
  try {
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar', 'Dogwood']);
    const [alder, birch, cedar, dogwood] = nodes as [SwarmNode, SwarmNode, SwarmNode, SwarmNode];
    const a = proposeEntry(alder.state, alder.id, leaving(alder), new Date());
    const b = proposeEntry(birch.state, birch.id, leaving(birch), new Date());
    const aSigns = alder.ledger.countersign(a, signer(alder));
    cedar.ledger.countersign(a, signer(cedar), { authorSignature: aSigns });
    const bSigns = birch.ledger.countersign(b, signer(birch));
    dogwood.ledger.countersign(b, signer(dogwood), { authorSignature: bSigns });
    const coordinator = nodes.find((n) => n.id === viewCoordinator(alder.state, 1)) as SwarmNode;
    const started = performance.now();
    await coordinator.views.changeView();
    return performance.now() - started;
  } finally {
    await bed.close();
  }
}

async function deadProposer(): Promise<number> {
  const bed = new PeerTestBed();
  try {
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar'], { viewTimeoutMs: timeoutMs });
    const [alder, birch, cedar] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    const height = alder.state.nextHeight;
    const entry = proposeEntry(alder.state, alder.id, leaving(alder), new Date());
    const own = alder.ledger.countersign(entry, signer(alder));
    await Promise.all(
      alder
        .peers()
        .map((peer) =>
          alder.client.send(peer, alder.state.swarmId, 'countersign', { entry, authorSignature: own }),
        ),
    );
    await bed.stop(alder);
    const died = performance.now();
    while (![birch, cedar].every((n) => n.state.nextHeight > height))
      await new Promise((resolve) => setTimeout(resolve, 10));
    return performance.now() - died;
  } finally {
    await bed.close();
  }
}

const splits: number[] = [];
const deaths: number[] = [];
for (let run = 0; run < runs; run++) {
  splits.push(await split());
  deaths.push(await deadProposer());
}
const seconds = (list: number[]) => list.map((ms) => (ms / 1000).toFixed(2)).join(', ');
console.log(`split 2-2 of 4, changeView: ${seconds(splits)} s`);
console.log(
  `proposer dead after its quorum, view timeout ${timeoutMs} ms, death to commit: ${seconds(deaths)} s`,
);
