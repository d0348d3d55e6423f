// A round started again after it stalled: a member answers the key exchange and dies before it
// shares its keys, so the leader's attempt fails (and, with the successor's turn far off, the round
// stalls); a member starts round 1 again with fresh commits, and the two survivors finish it. Their
// earlier attempt's state (a plan they shared under, the first attempt's set) must not bind the new
// start, since no update went out masked in it; before, both refused and the round never committed.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWeights } from '../../../shared/federation/index.ts';
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import { SwarmError } from './swarm-error.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import type { SwarmNode } from './swarm-node.ts';
import type { SwarmTask } from './swarm-task.ts';
import { initialNoduleModel, noduleSet, trainNodule } from './testing/nodule-learner.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';

let bed: PeerTestBed;
const rounds: SwarmRounds[] = [];
afterEach(async () => {
  for (const r of rounds.splice(0)) r.stop();
  await bed.close();
});

describe('a stalled swarm round started again', () => {
  it('completes with the survivors when a member died between the key exchange and its shares', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const initial = encodeWeights(initialNoduleModel());
    const task: SwarmTask = {
      name: 'synthetic nodule',
      initialModel: sha256Hex(initial),
      rounds: 1,
      secureAggregation: { clipRange: 0.5, bits: 16 },
      // The successors' turns come long after the spec: only a new start can finish the round.
      leaderTimeoutMs: 600_000,
    };
    let victim: SwarmNode | null = null;
    nodes.forEach((node, index) => {
      const data = noduleSet(40, 60 + index);
      const r = new SwarmRounds(node, {
        task,
        initialModel: initial,
        train: (global) => Promise.resolve(trainNodule(global, data)),
      });
      rounds.push(r);
      const shares = node.handlers.get('secagg-shares')!;
      node.handlers.set('secagg-shares', (request) => {
        // The last in the leader order dies here, after it answered the key exchange.
        if (victim === null && node.state.openRound?.seed?.order.at(-1) === node.id) {
          victim = node;
          r.stop();
          void bed.stop(node);
          throw new SwarmError('peer-unreachable', 'This member went down.');
        }
        return shares(request);
      });
    });
    await rounds[0]!.startRound();
    const failedLeader = await (async () => {
      for (;;) {
        const failed = rounds.find((r) => r.lastLeadError !== null);
        if (failed) return failed;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    expect(victim).not.toBeNull();
    expect(failedLeader.lastLeadError?.message).toMatch(/did not share its keys/);
    const survivors = rounds.filter((r) => r.node !== victim);
    failedLeader.lastLeadError = null;
    await failedLeader.startRound();
    const outcomes = await Promise.all(survivors.map((r) => r.waitForRound(1, 60_000)));
    expect(outcomes[0]!.model).toBe(outcomes[1]!.model);
    expect([...outcomes[0]!.participants].sort()).toEqual(survivors.map((r) => r.node.id).sort());
  }, 120_000);
});
