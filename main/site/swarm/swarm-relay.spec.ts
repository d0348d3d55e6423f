// A member that accepts no inbound connection (its server is closed, as behind a NAT) joins and takes
// part in rounds through a relaying member, end to end encrypted: every message to it is sealed to its
// exchange key and every answer to the sender's reply key, so the relay forwards ciphertext only and
// cannot open what it carries. Real sockets, mutual TLS, real keys.
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import type { PeerRequest } from './peer-server.ts';
import { openRelayedRequest, RELAY_SCHEME } from './relay-sealing.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import type { SwarmNode } from './swarm-node.ts';
import { noduleRounds, noduleTask } from './testing/nodule-task.ts';
import { memberKeys, PeerTestBed } from './testing/peer-swarm.ts';

let bed: PeerTestBed;
const rounds: SwarmRounds[] = [];
afterEach(async () => {
  for (const r of rounds.splice(0)) r.stop();
  await bed.close();
});

describe('a member behind NAT, through a relaying member', () => {
  it('joins, takes part in rounds (leading them when elected), and the relay sees ciphertext only', async () => {
    bed = new PeerTestBed();
    const { nodes, keys } = await bed.swarm(['Alder', 'Birch']);
    const [alder, birch] = nodes as [SwarmNode, SwarmNode];
    // Record what the relay (Alder) is given to forward, before its mailbox handles it.
    const forwarded: { from: string; sealed: string }[] = [];
    const forward = alder.handlers.get('relay-forward')!;
    alder.handlers.set('relay-forward', (request: PeerRequest) => {
      const body = request.envelope.body as { sealed: string };
      forwarded.push({ from: request.envelope.from, sealed: body.sealed });
      return forward(request);
    });
    const natKeys = memberKeys('Nat');
    const nat = await bed.start(natKeys, { advertise: `${RELAY_SCHEME}${alder.id}` });
    // Nothing reaches it inbound from here on: its server is closed, as a NAT would leave it.
    await nat.server.close();
    await nat.join(alder.invite());
    await Promise.all([alder, birch, nat].map((n) => n.catchUp()));
    expect(birch.state.members.find((m) => m.id === nat.id)?.address).toBe(`relay://${alder.id}`);

    const { initial, task } = noduleTask({ rounds: 3, leaderTimeoutMs: 20_000 });
    [alder, birch, nat].forEach((node, index) => {
      rounds.push(new SwarmRounds(node, noduleRounds(task, initial, 40, 50 + index)));
    });
    const ids = [alder, birch, nat].map((n) => n.id).sort();
    const leaders: string[] = [];
    for (let round = 1; round <= task.rounds; round++) {
      await rounds[round % 3]!.startRound(); // Nat starts round 2 (its proposals go out directly)
      const outcomes = await Promise.all(rounds.map((r) => r.waitForRound(round, 60_000)));
      expect(new Set(outcomes.map((o) => o.model)).size).toBe(1);
      expect([...outcomes[0]!.participants].sort()).toEqual(ids);
      leaders.push(
        outcomes[0]!.leader === nat.id ? 'Nat' : outcomes[0]!.leader === alder.id ? 'Alder' : 'Birch',
      );
    }
    // A model Nat holds is fetched from it through the relay, a range at a time (as when Nat leads).
    const last = rounds[0]!.outcome(task.rounds)!;
    const natRecord = birch.state.members.find((m) => m.id === nat.id)!;
    const fetched = await birch.client.fetchModel(natRecord, last.model);
    expect(sha256Hex(fetched)).toBe(last.model);
    // Everything for Nat went through the relay, and none of it is readable there.
    expect(forwarded.length).toBeGreaterThan(10);
    const swarmId = alder.state.swarmId;
    for (const { sealed } of forwarded) {
      const bytes = Buffer.from(sealed, 'base64url');
      expect(bytes.includes(Buffer.from(swarmId))).toBe(false);
      expect(bytes.includes(Buffer.from('"kind"'))).toBe(false);
    }
    const sample = forwarded.find((f) => f.from === birch.id)!;
    expect(() =>
      openRelayedRequest(sample.sealed, keys[0]!.exchangePrivateKey, birch.id, nat.id, swarmId),
    ).toThrow(/could not be opened/);
    console.log(`relay spec: leaders ${leaders.join(', ')}; ${forwarded.length} messages relayed for Nat`);
    // Nat itself opens it: the relay carried Birch's message intact, sealed for Nat alone.
    expect(
      openRelayedRequest(sample.sealed, natKeys.exchangePrivateKey, birch.id, nat.id, swarmId).signed.envelope
        .to,
    ).toBe(nat.id);
  }, 120_000);
});
