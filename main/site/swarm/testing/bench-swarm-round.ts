// Benchmark: swarm rounds among three members in one process on loopback mutual TLS, with a model of
// `values` weights (a fixed smooth update per member, so training costs nothing): the time of a round
// (commit, reveal, secure aggregation, aggregate commit), the leader's merge, and the bytes each
// member sent per round (requests it made plus answers it gave). With `relay`, the third member
// accepts no inbound connection and is reached through the first (relay://), sealed end to end. With
// `relay-server`, all three accept none and every message crosses the relay that is no member
// (relay+https://), which also reports the bytes it read and wrote.
//   npx tsx main/site/swarm/testing/bench-swarm-round.ts [values=300000] [rounds=3] [direct|relay|relay-server]
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { encodeWeights, type NamedTensor } from '../../../../shared/federation/index.ts';
import { sha256Hex } from '../../../../shared/node/federation/index.ts';
import { silentLogger } from '../../../../shared/node/index.ts';
import { startRelay, type RunningRelay } from '../relay/relay-home.ts';
import type { SwarmNode } from '../swarm-node.ts';
import { SwarmRounds } from '../swarm-rounds.ts';
import { memberKeys, PeerTestBed } from './peer-swarm.ts';

const values = Number(process.argv[2] ?? 300_000);
const roundCount = Number(process.argv[3] ?? 3);
const mode = process.argv[4] ?? 'direct';
const relayed = mode === 'relay';
const bed = new PeerTestBed();
let relayServer: RunningRelay | null = null;
try {
  const { nodes } =
    mode === 'relay-server'
      ? { nodes: [] as SwarmNode[] }
      : await bed.swarm(relayed ? ['Alder', 'Birch'] : ['Alder', 'Birch', 'Cedar']);
  if (mode === 'relay-server') {
    const relay = await startRelay({
      signingKey: generateKeyPairSync('ed25519').privateKey,
      ledgers: join(bed.folder, 'relay-ledgers'),
      swarms: [],
      logger: silentLogger(),
    });
    relayServer = relay;
    for (const name of ['Alder', 'Birch', 'Cedar']) {
      const node = await bed.start(memberKeys(name), { advertise: relay.memberAddress });
      await node.server.close();
      if (nodes.length === 0) {
        node.found('bench');
        relay.server.admission.admit(node.state.swarmId);
        while (!relay.server.hasMailbox(node.id)) await new Promise((resolve) => setTimeout(resolve, 50));
      } else await node.join(nodes[0]!.invite());
      nodes.push(node);
    }
    await Promise.all(nodes.map((n) => n.catchUp()));
  }
  if (relayed) {
    const cedar = await bed.start(memberKeys('Cedar'), { advertise: `relay://${nodes[0]!.id}` });
    await cedar.server.close();
    await cedar.join(nodes[0]!.invite());
    nodes.push(cedar);
    await Promise.all(nodes.map((n) => n.catchUp()));
  }
  const initial = encodeWeights([{ name: 'w', shape: [values], data: new Float32Array(values) }]);
  const task = {
    name: 'bench',
    initialModel: sha256Hex(initial),
    rounds: roundCount,
    secureAggregation: { clipRange: 0.5, bits: 16 },
    leaderTimeoutMs: 120_000,
  };
  const rounds = nodes.map(
    (node, index) =>
      new SwarmRounds(node, {
        task,
        initialModel: initial,
        train: () => {
          const delta: NamedTensor[] = [
            {
              name: 'w',
              shape: [values],
              data: Float32Array.from({ length: values }, (_, i) => 0.01 * Math.sin(i / (index + 7))),
            },
          ];
          return Promise.resolve({ delta, examples: 50 });
        },
      }),
  );
  const sent = () => nodes.map((n) => n.client.bytesOut + n.server.bytesOut);
  const through = () => (relayServer ? relayServer.server.bytesIn + relayServer.server.bytesOut : 0);
  const setting = relayed
    ? ' (Cedar behind NAT, through Alder)'
    : relayServer
      ? ' (all three behind NAT, through the relay that is no member)'
      : '';
  console.log(
    `swarm rounds: 3 members${setting}, model of ${values} float32 weights (${(values * 4) / 1e6} MB raw)`,
  );
  for (let r = 1; r <= roundCount; r++) {
    for (const x of rounds) x.lastMergeMs = null;
    const before = sent();
    const relayBefore = through();
    const started = performance.now();
    await rounds[0]!.startRound();
    const outcome = await rounds[0]!.waitForRound(r, 600_000);
    await Promise.all(rounds.map((x) => x.waitForRound(r, 600_000)));
    const seconds = (performance.now() - started) / 1000;
    const leader = rounds.find((x) => x.node.id === outcome.leader)!;
    // The leader notes its merge time once its proposal returns (after sending the entry to all).
    while (leader.lastMergeMs === null) await new Promise((resolve) => setTimeout(resolve, 10));
    const perMember = sent().map((b, i) => (b - before[i]!) / 1e6);
    const relayMb = (through() - relayBefore) / 1e6;
    console.log(
      `round ${r}: ${seconds.toFixed(2)} s, leader ${leader.node.identity.name} merged in ${((leader.lastMergeMs ?? 0) / 1000).toFixed(2)} s, ` +
        `ledger height ${nodes[0]!.state.nextHeight - 1}, MB sent per member [${perMember.map((mb) => mb.toFixed(2)).join(', ')}] ` +
        `(leader: ${leader.node.identity.name}), all members ${perMember.reduce((a, b) => a + b, 0).toFixed(2)} MB` +
        (relayServer ? `, through the relay ${relayMb.toFixed(2)} MB (read and written)` : ''),
    );
  }
  for (const r of rounds) r.stop();
} finally {
  await bed.close();
  await relayServer?.close();
}
