// A round seeded while one member of three was not yet live (its seed's order holds two of three)
// loses one of those two: the round must start again under the same number with fresh commits and the
// live members, and commit with them. Who is live when the seed is made is controlled, not left to
// timing: Cedar's server is down while round 1 is started and seeded, and the death happens at a
// fixed step of secure aggregation (in a member's training, which runs when the leader asks for its
// masked update, or when the leader asks for its shares). The members are served (SwarmService, as
// `radfed swarm serve` runs them) in this process, on real loopback sockets with real swarm.db files.
//
// Before the fix all three cases stalled for ever: the live member had masked its update in the first
// attempt (the leader its own, or the other member its own for a leader that died before the unmask),
// so it refused every new start whose set was not a subset of the first attempt's; the starts
// repeated, each seeded, and nothing committed.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WeightSet } from '../../../shared/federation/index.ts';
import type { MemberUpdate } from './round-secagg-member.ts';
import { SwarmError } from './swarm-error.ts';
import { SwarmService, type SwarmServiceEvent } from './swarm-service.ts';
import type { SwarmNode } from './swarm-node.ts';
import { noduleRounds, noduleTask } from './testing/nodule-task.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';

let bed: PeerTestBed;
const services: SwarmService[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.stop();
  await bed.close();
});

const VICTIMS = [
  // It dies before it masks; its leader masks its own update meanwhile.
  'the other member, while it trains',
  // It masks, and dies before it reveals its shares; its leader reveals its own, to itself.
  'the other member, once it masked',
  // The other member masks; the leader dies before it asks for the shares that would unmask the sum.
  'the leader, once the other member masked',
] as const;
type Victim = (typeof VICTIMS)[number];

interface Served {
  readonly node: SwarmNode;
  readonly events: SwarmServiceEvent[];
  service?: SwarmService;
}

/**
 * Alder and Birch seed round 1 (Cedar down), then `victim` dies mid-round, and Cedar comes in. Returns
 * the seeded pair's survivor, Cedar, and the member that died.
 */
async function roundLosingOneOfTwo(
  victim: Victim,
): Promise<{ survivor: Served; cedar: Served; dead: Served }> {
  bed = new PeerTestBed();
  const { nodes, keys } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
  // Leader timeouts of 2 s: a stalled round starts again (2 + 2) timeouts after its seed.
  const { initial, task } = noduleTask({ rounds: 1, leaderTimeoutMs: 2000 });
  const cedarPort = await bed.stop(nodes[2]!);
  const served: Served[] = [];
  let dead: Served | null = null;
  const kill = (member: Served) => {
    dead = member;
    const service = member.service;
    void (async () => {
      await service?.stop();
      await bed.stop(member.node);
    })();
  };
  const serve = async (node: SwarmNode, index: number): Promise<Served> => {
    const member: Served = { node, events: [] };
    served.push(member);
    const { train } = noduleRounds(task, initial, 40, 120 + index);
    const trainOrDie = async (global: WeightSet, round: number): Promise<MemberUpdate> => {
      // A member killed mid-round trains no more (as after kill -9: nothing of it goes on).
      const hang = () => new Promise<MemberUpdate>(() => undefined);
      if (dead?.node === node) return hang();
      const order = node.state.openRound?.seed?.order ?? [];
      if (dead === null && order.length === 2) {
        const [leader, other] = order;
        if (victim === 'the other member, while it trains' && node.id === other) {
          kill(member);
          throw new Error('This member went down.');
        }
        if (victim === 'the leader, once the other member masked') {
          if (node.id === leader) return hang();
          kill(served.find((m) => m.node.id === leader)!);
        }
      }
      return train(global, round);
    };
    member.service = await SwarmService.start({
      node,
      task,
      modelDir: join(bed.folder, `models-${index}`),
      initialModel: initial,
      train: trainOrDie,
      onEvent: (event) => member.events.push(event),
      pollMs: 50,
    });
    services.push(member.service);
    if (victim === 'the other member, once it masked') {
      // Wrapped before any round can reach its unmask (the peer server looks the handler up per message).
      const unmask = node.handlers.get('secagg-unmask')!;
      node.handlers.set('secagg-unmask', (request) => {
        const order = node.state.openRound?.seed?.order ?? [];
        if (dead !== null || order.length !== 2 || order[1] !== node.id) return unmask(request);
        kill(member);
        throw new SwarmError('peer-unreachable', 'This member went down.');
      });
    }
    return member;
  };
  // Birch first: round 1 is Alder's to start, and Birch must answer its commit request.
  const birch = await serve(nodes[1]!, 1);
  const alder = await serve(nodes[0]!, 0);
  await waitFor(() => dead !== null, 'a member of the seeded pair to die');
  const firstSeed = alder.events.find((e) => e.type === 'seeded');
  expect(firstSeed).toMatchObject({ round: 1, attempt: 1 });
  expect(firstSeed?.type === 'seeded' && [...firstSeed.order].sort()).toEqual(
    [alder.node.id, birch.node.id].sort(),
  );
  const cedarNode = await bed.start(keys[2]!, { port: cedarPort });
  await cedarNode.catchUp();
  const cedar = await serve(cedarNode, 2);
  const killed = dead as unknown as Served;
  return { survivor: killed === alder ? birch : alder, cedar, dead: killed };
}

async function waitFor(done: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done();) {
    if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs / 1000} s for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const committed = (member: Served) =>
  member.events.find(
    (e): e is Extract<SwarmServiceEvent, { type: 'committed' }> => e.type === 'committed' && e.round === 1,
  );

describe('a seeded round of two members that loses one', () => {
  for (const victim of VICTIMS)
    it(`starts again with the live members and commits with them (${victim} dies)`, async () => {
      const { survivor, cedar, dead } = await roundLosingOneOfTwo(victim);
      const live = [survivor, cedar];
      await waitFor(
        () => live.every((m) => committed(m) !== undefined),
        'round 1 to commit at both live members',
      );
      const outcomes = live.map((m) => committed(m)!);
      expect(outcomes[0]!.model).toBe(outcomes[1]!.model);
      expect([...outcomes[0]!.participants].sort()).toEqual(live.map((m) => m.node.id).sort());
      // Each start of the round is seeded, and each seed is an event with its attempt's number.
      const seeds = survivor.events.flatMap((e) => (e.type === 'seeded' && e.round === 1 ? [e] : []));
      expect(seeds.length).toBeGreaterThanOrEqual(2);
      expect(seeds.map((s) => s.attempt)).toEqual(seeds.map((_, i) => i + 1));
      expect(seeds[0]!.order).toContain(dead.node.id);
      expect([...seeds.at(-1)!.order].sort()).toEqual(live.map((m) => m.node.id).sort());
    }, 120_000);
});
