// Swarm rounds over real loopback sockets with mutual TLS, three members in one process: the ledger
// elects a leader per round, the leader aggregates under SecAgg+ and learns only the sum, every member
// verifies the committed model, and the model learns the synthetic nodule.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWeights, type NamedTensor } from '../../../shared/federation/index.ts';
import type { LeaderAggregation } from './round-secagg-leader.ts';
import { leaderOrder, revealOutcome } from './leader-election.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import type { SwarmNode } from './swarm-node.ts';
import type { SwarmTask } from './swarm-task.ts';
import { initialNoduleModel, noduleAuc, noduleSet } from './testing/nodule-learner.ts';
import { noduleRounds, noduleTask } from './testing/nodule-task.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';

/** The round's leader order, recomputed from its round-start and round-seed entries. */
function leaderOrderOf(node: SwarmNode, round: number): string[] {
  const bodies = node.ledger.entries(0, 1000).map((s) => s.entry.body);
  const start = bodies.find((b) => b.kind === 'round-start' && b.round === round);
  const seed = bodies.find((b) => b.kind === 'round-seed' && b.round === round);
  if (start?.kind !== 'round-start' || seed?.kind !== 'round-seed') throw new Error('round not seeded');
  const outcome = revealOutcome(start.commits, seed.reveals);
  return leaderOrder(outcome.seed, outcome.revealed);
}

/** The round's outcome at the first member, or the first leader's failure (so a spec fails at once). */
async function roundOrLeaderFailure(round: number) {
  const done = rounds[0]!.waitForRound(round, 60_000);
  // When a leader fails first, `done` is left behind and rejects once the member stops.
  done.catch(() => undefined);
  for (;;) {
    const error = rounds.find((r) => r.lastLeadError)?.lastLeadError;
    if (error) throw error;
    const settled = await Promise.race([
      done,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 50)),
    ]);
    if (settled) return settled;
  }
}

let bed: PeerTestBed;
const rounds: SwarmRounds[] = [];
afterEach(async () => {
  for (const r of rounds.splice(0)) r.stop();
  await bed.close();
});

/** This spec's task: 3 rounds by default, 20 s for a leader. */
function taskOn(initial: Uint8Array | undefined, extra: Partial<SwarmTask> = {}) {
  return noduleTask({ rounds: 3, leaderTimeoutMs: 20_000, ...extra }, initial);
}

describe('swarm rounds on the peer network', () => {
  it('three members learn the synthetic nodule with no hub; each round has a ledger-elected leader', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const { initial, task } = taskOn(undefined);
    nodes.forEach((node, index) => {
      rounds.push(new SwarmRounds(node, noduleRounds(task, initial, 60, 10 + index)));
    });
    const test = noduleSet(300, 999);
    const leaders: string[] = [];
    for (let round = 1; round <= task.rounds; round++) {
      const started = await rounds[round % 3]!.startRound();
      expect(started).toBe(round);
      const outcomes = await Promise.all(rounds.map((r) => r.waitForRound(round, 60_000)));
      expect(new Set(outcomes.map((o) => o.model)).size).toBe(1);
      expect([...outcomes[0]!.participants].sort()).toEqual(nodes.map((n) => n.id).sort());
      leaders.push(outcomes[0]!.leader);
      // The leader is the first of the order the ledger's seed gives.
      expect(outcomes[0]!.leader).toBe(leaderOrderOf(nodes[0]!, round)[0]);
    }
    const models = await Promise.all(rounds.map((r) => r.globalModel()));
    expect(new Set(models.map((m) => m.hash)).size).toBe(1);
    const auc = noduleAuc(models[0]!.weights, test);
    expect(noduleAuc(initialNoduleModel(), test)).toBe(0.5);
    expect(auc).toBeGreaterThan(0.8);
    // genesis, 2 joins, then 3 entries per round
    expect(nodes[2]!.state.nextHeight).toBe(3 + 3 * task.rounds);
    expect(leaders.every((id) => nodes.some((n) => n.id === id))).toBe(true);
  });

  it("the leader sees each other member's update only masked: uniform bytes (chi-square), as the hub's test", async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const values = 40_000;
    const initialWeights: NamedTensor[] = [{ name: 'w', shape: [values], data: new Float32Array(values) }];
    const { initial, task } = taskOn(encodeWeights(initialWeights), { rounds: 1 });
    const deltas = nodes.map((_, index) => smoothDelta(values, index + 1));
    const seen: LeaderAggregation[] = [];
    nodes.forEach((node, index) =>
      rounds.push(
        new SwarmRounds(node, {
          task,
          initialModel: initial,
          train: () => Promise.resolve({ delta: deltas[index]!, examples: 30 }),
          onLeaderSaw: (_round, aggregation) => seen.push(aggregation),
        }),
      ),
    );
    await rounds[0]!.startRound();
    const outcome = await rounds[0]!.waitForRound(1, 60_000);
    expect(seen).toHaveLength(1);
    const others = nodes.filter((node) => node.id !== outcome.leader);
    for (const other of others) {
      const masked = seen[0]!.masked.get(other.id)!;
      expect(chiSquare(masked)).toBeLessThan(330.5);
      const high = Array.from(masked).filter((w) => w >= 2 ** 31).length;
      expect(Math.abs(high - masked.length / 2)).toBeLessThan(4 * Math.sqrt(masked.length / 4));
    }
    // The same update unmasked is far from uniform, so the test can tell.
    const plain = new Uint32Array(deltas[0]![0]!.data.map((x) => Math.round((x + 0.5) * 65535) * 30));
    expect(chiSquare(plain)).toBeGreaterThan(330.5);
    // And the sum it unmasked is the members' mean change (to quantisation).
    await rounds[1]!.waitForRound(1, 60_000);
    const model = (await rounds[1]!.globalModel()).weights[0]!.data;
    const mean = (i: number) => deltas.reduce((sum, d) => sum + d[0]!.data[i]!, 0) / 3;
    for (const i of [0, 17, 39_999]) expect(model[i]).toBeCloseTo(mean(i), 3);
  });
});

describe('swarm rounds with a fine quantisation', () => {
  it("takes the demo's 20-bit SecAgg+ plan (members once refused plans above 16 bits, and the round never committed)", async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const { initial, task } = taskOn(undefined, { rounds: 1, secureAggregation: { clipRange: 4, bits: 20 } });
    nodes.forEach((node, index) => {
      rounds.push(new SwarmRounds(node, noduleRounds(task, initial, 30, 20 + index)));
    });
    await rounds[0]!.startRound();
    const outcome = await roundOrLeaderFailure(1);
    expect(outcome.participants).toHaveLength(3);
  });
});

describe('a member gone after the seed', () => {
  it('the leader plans the key exchange again without it, and the round commits with the others', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const { initial, task } = taskOn(undefined, { rounds: 1 });
    nodes.forEach((node, index) => {
      rounds.push(new SwarmRounds(node, noduleRounds(task, initial, 30, 40 + index)));
      // The last in the leader order stops answering once the round is seeded (it never leads first).
      const keys = node.handlers.get('secagg-keys')!;
      node.handlers.set('secagg-keys', (request) => {
        const order = node.state.openRound?.seed?.order ?? [];
        if (order.at(-1) === node.id) return Promise.reject(new Error('gone'));
        return keys(request);
      });
    });
    await rounds[0]!.startRound();
    const outcome = await roundOrLeaderFailure(1);
    const order = leaderOrderOf(nodes[0]!, 1);
    expect([...outcome.participants].sort()).toEqual(order.slice(0, 2).sort());
  });
});

describe('swarm rounds without a quorum', () => {
  it('a round cannot start while two of three members are down, and runs once they are back', async () => {
    bed = new PeerTestBed();
    const { nodes, keys } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const { initial, task } = taskOn(undefined, { rounds: 1 });
    const attach = (node: SwarmNode, seed: number) => {
      const r = new SwarmRounds(node, noduleRounds(task, initial, 40, seed));
      rounds.push(r);
      return r;
    };
    const alder = attach(nodes[0]!, 1);
    const ports = [await bed.stop(nodes[1]!), await bed.stop(nodes[2]!)];
    const height = nodes[0]!.state.nextHeight;
    await expect(alder.startRound()).rejects.toMatchObject({ code: 'quorum-short' });
    expect(nodes[0]!.state.nextHeight).toBe(height);
    expect(nodes[0]!.state.lastCommittedRound).toBe(0);
    const back = [
      await bed.start(keys[1]!, { port: ports[0]! }),
      await bed.start(keys[2]!, { port: ports[1]! }),
    ];
    const others = back.map((node, i) => attach(node, 2 + i));
    const round = await alder.startRound();
    expect(round).toBe(1);
    const outcomes = await Promise.all([alder, ...others].map((r) => r.waitForRound(1, 60_000)));
    expect(new Set(outcomes.map((o) => o.model)).size).toBe(1);
    expect(outcomes[0]!.participants).toHaveLength(3);
  });
});

/** A smooth, non-uniform update: what a real one looks like in bytes. */
function smoothDelta(values: number, seed: number): NamedTensor[] {
  return [
    {
      name: 'w',
      shape: [values],
      data: Float32Array.from({ length: values }, (_, i) => 0.3 * Math.sin(i / (50 * seed))),
    },
  ];
}

function chiSquare(words: Uint32Array): number {
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const counts = new Array<number>(256).fill(0);
  for (const b of bytes) counts[b] = (counts[b] as number) + 1;
  const expected = bytes.length / 256;
  // 255 degrees of freedom: 330.5 is the 0.001 critical value.
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}
