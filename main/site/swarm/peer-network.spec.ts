// The peer network over real loopback sockets with mutual TLS: members admit each other, countersign
// over the wire, refuse strangers and replays, and stop committing without a quorum.
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { nonceCommit, drawRoundNonce } from './leader-election.ts';
import { signStatement, type EntryBody } from './ledger-entry.ts';
import { ROUND_COMMIT_TAG, roundCommitStatement } from './membership.ts';
import { sealEnvelope } from './peer-envelope.ts';
import type { SwarmNode } from './swarm-node.ts';
import { memberKeys, PeerTestBed } from './testing/peer-swarm.ts';

let bed: PeerTestBed;
afterEach(async () => {
  await bed.close();
});

/** A round-start entry with the proposer's own commit: a small entry any member may propose. */
function roundStartBody(node: SwarmNode, round: number): EntryBody {
  const task = 'a'.repeat(64);
  const commit = { member: node.id, commit: nonceCommit(drawRoundNonce()) };
  const statement = roundCommitStatement(node.state.swarmId, round, task, commit);
  return {
    kind: 'round-start',
    round,
    task,
    commits: [{ ...commit, signature: signStatement(ROUND_COMMIT_TAG, statement, node.identity.signingKey) }],
  };
}

describe('swarm peer network (mutual TLS on loopback)', () => {
  it('admits members by invitation over the network and commits entries they countersign', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const [a, b, c] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    expect(a.state.members.map((m) => m.name)).toEqual(['Alder', 'Birch', 'Cedar']);
    // Cedar's join needed Birch's countersignature (2 of 2), given over the wire.
    expect(a.ledger.entries(2, 1)[0]?.signatures).toHaveLength(2);
    const committed = await b.propose(roundStartBody(b, 1));
    expect(committed.signatures.length).toBeGreaterThanOrEqual(2);
    for (const node of [a, b, c]) {
      expect(node.state.nextHeight).toBe(4);
      expect(node.state.tipHash).toBe(a.state.tipHash);
    }
  });

  it('refuses a certificate that is no member, and a client with no certificate at all', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch']);
    const a = nodes[0] as SwarmNode;
    const stranger = await bed.start(memberKeys('Stranger'));
    await expect(
      stranger.client.send(a.card, a.state.swarmId, 'ledger', { from: 0, limit: 10 }),
    ).rejects.toMatchObject({
      code: 'not-member',
    });
    // A stranger may only send a join, and a join with no valid invitation is refused by the ledger.
    const url = new URL(a.identity.address);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false });
      socket.once('secureConnect', () => {
        socket.end(
          `POST /swarm/v1/message HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
        );
      });
      let text = '';
      socket.on('data', (part: Buffer) => (text += part.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 403/);
    expect(answer).not.toContain(a.state.swarmId);
  });

  it('refuses to talk to a server whose certificate is not the member the ledger names (pinning)', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const [a, b, c] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    const cedarCardAtBirchAddress = { ...a.state.members[2]!, address: b.identity.address };
    await expect(
      a.client.send(cedarCardAtBirchAddress, a.state.swarmId, 'ledger', { from: 0, limit: 1 }),
    ).rejects.toMatchObject({ code: 'not-member' });
    expect(c.state.nextHeight).toBe(3);
  });

  it('refuses a replayed envelope and one from a member whose clock is off', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch']);
    const [a, b] = nodes as [SwarmNode, SwarmNode];
    const signed = sealEnvelope(
      { swarm: a.state.swarmId, from: b.id, to: a.id, kind: 'ledger', body: { from: 0, limit: 1 } },
      b.identity.signingKey,
      Date.now(),
    );
    await expect(b.client.deliver(a.card, signed)).resolves.toHaveLength(1);
    await expect(b.client.deliver(a.card, signed)).rejects.toMatchObject({ code: 'replayed' });
    const late = sealEnvelope(
      { swarm: a.state.swarmId, from: b.id, to: a.id, kind: 'ledger', body: { from: 0, limit: 1 } },
      b.identity.signingKey,
      Date.now() - 10 * 60_000,
    );
    await expect(b.client.deliver(a.card, late)).rejects.toMatchObject({
      code: 'clock-skew',
      message: expect.stringContaining('behind') as unknown,
    });
  });

  it('commits nothing without a quorum, and resumes with the same entry when members return', async () => {
    bed = new PeerTestBed();
    const { nodes, keys } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const [a, b, c] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    const birchPort = await bed.stop(b);
    const cedarPort = await bed.stop(c);
    const body = roundStartBody(a, 1);
    await expect(a.propose(body)).rejects.toMatchObject({ code: 'quorum-short' });
    expect(a.state.nextHeight).toBe(3);
    const birch = await bed.start(keys[1]!, { port: birchPort });
    expect(birch.state.nextHeight).toBe(3);
    const committed = await a.propose(body);
    expect(committed.entry.height).toBe(3);
    expect(birch.state.nextHeight).toBe(4);
    // Cedar was down throughout: it catches up from a peer when it comes back.
    const cedar = await bed.start(keys[2]!, { port: cedarPort });
    await cedar.catchUp();
    expect(cedar.state.tipHash).toBe(a.state.tipHash);
  });
});
