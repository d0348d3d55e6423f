// A round started again after it stalled: a member answers the key exchange and dies before it
// shares its keys, so the leader's attempt fails (and, with the successor's turn far off, the round
// stalls); a member starts round 1 again with fresh commits, and the two survivors finish it. Their
// earlier attempt's state (a plan they shared under, the first attempt's set) must not bind the new
// start, since no update went out masked in it; before, both refused and the round never committed.
//
// A member restarted mid-round: its memory is lost at the reveal, at the leader's request for its
// masked update, and after it sent it (at the unmask); each time a fresh member reads only its
// swarm.db, where its nonce and SecAgg+ secrets were kept sealed, and the round completes with it.
// Before, the restarted member could not reveal (left out of the seed) or mask (dropped).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SwarmError } from './swarm-error.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import type { MessageHandler } from './peer-server.ts';
import type { SwarmNode } from './swarm-node.ts';
import { noduleRounds, noduleTask } from './testing/nodule-task.ts';
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
    // The successors' turns come long after the spec: only a new start can finish the round.
    const { initial, task } = noduleTask({ rounds: 1, leaderTimeoutMs: 600_000 });
    let victim: SwarmNode | null = null;
    nodes.forEach((node, index) => {
      const r = new SwarmRounds(node, noduleRounds(task, initial, 40, 60 + index));
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

describe('a member restarted mid-round', () => {
  it('rejoins the same round from the secrets it kept sealed in swarm.db, and is counted', async () => {
    bed = new PeerTestBed();
    const { nodes, keys } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const { initial, task } = noduleTask({ rounds: 1, leaderTimeoutMs: 600_000 });
    const options = (index: number) => noduleRounds(task, initial, 40, 80 + index);
    const current = nodes.map((node, index) => new SwarmRounds(node, options(index)));
    rounds.push(...current);
    // Each of these messages restarts the first member it reaches, before that member answers it.
    const kinds = ['round-reveal', 'secagg-mask', 'secagg-unmask'];
    const pending = new Set(kinds);
    const restarted: { kind: string; member: string }[] = [];
    const sealedSeen: string[] = [];
    const real: Map<string, MessageHandler>[] = [];
    const dbOf = (node: SwarmNode) =>
      join(bed.folder, `${keys.find((k) => k.signingPublicKey === node.identity.signingPublicKey)!.name}.db`);
    const wrap = (index: number) => {
      const node = nodes[index]!;
      real[index] = new Map(kinds.map((kind) => [kind, node.handlers.get(kind)!]));
      for (const kind of kinds)
        node.handlers.set(kind, async (request) => {
          if (pending.delete(kind)) {
            // The old process is gone without cleanup: its rounds stop, and nothing of its memory is used.
            current[index]!.stop();
            const file = new Database(dbOf(node), { readonly: true });
            sealedSeen.push(...file.prepare<[], string>('SELECT sealed FROM round_secrets').pluck().all());
            file.close();
            current[index] = new SwarmRounds(node, options(index));
            rounds.push(current[index]!);
            wrap(index);
            restarted.push({ kind, member: node.id });
          }
          return real[index]!.get(kind)!(request);
        });
    };
    nodes.forEach((_, index) => wrap(index));

    await current[0]!.startRound();
    // Read from the ledger: the instance a member started the round with may have been restarted since.
    for (let waited = 0; current.some((r) => r.outcome(1) === null); waited += 50) {
      if (waited > 60_000) throw new Error('Round 1 did not commit at every member.');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const outcomes = current.map((r) => r.outcome(1)!);
    expect(restarted.map((r) => r.kind)).toEqual(kinds);
    expect(new Set(outcomes.map((o) => o.model)).size).toBe(1);
    // Every member is counted, the restarted ones included.
    expect([...outcomes[0]!.participants].sort()).toEqual(nodes.map((n) => n.id).sort());
    for (const r of current) expect(r.lastLeadError).toBeNull();
    // What was kept was sealed (no nonce in the clear), and it is gone once the round committed.
    const seed = nodes[0]!.ledger.entries(0, 100).find((e) => e.entry.body.kind === 'round-seed')!;
    const nonces = (seed.entry.body as { reveals: { nonce: string }[] }).reveals.map((r) => r.nonce);
    expect(sealedSeen.length).toBeGreaterThan(0);
    for (const sealed of sealedSeen)
      for (const nonce of nonces)
        expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain(nonce);
    for (const node of nodes) {
      const file = new Database(dbOf(node), { readonly: true });
      expect(file.prepare('SELECT COUNT(*) AS n FROM round_secrets').get()).toEqual({ n: 0 });
      file.close();
    }
  }, 120_000);
});
