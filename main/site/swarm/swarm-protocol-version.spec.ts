// The swarm's protocol version (shared/federation/protocol-version.ts), checked at the start of every
// exchange between two members over real loopback sockets with mutual TLS: an envelope that says no
// version (a member from before versions) or a newer one is refused with a sentence naming both
// versions, before its kind is handled; an envelope of this version goes through, and the answer says
// the receiver's version for the sender to check.
import { afterEach, describe, expect, it } from 'vitest';
import {
  OLDEST_SWARM_PROTOCOL,
  SWARM_PROTOCOL_VERSION,
  swarmProtocolProblem,
} from '../../../shared/federation/index.ts';
import { signStatement } from './ledger-entry.ts';
import { ENVELOPE_TAG, parseEnvelope, sealEnvelope, type SignedEnvelope } from './peer-envelope.ts';
import type { SwarmNode } from './swarm-node.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';

let bed: PeerTestBed | undefined;
afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

/** Birch's ledger request to Alder, as a member of `protocol` would sign it (undefined: says none). */
function ledgerRequest(from: SwarmNode, to: SwarmNode, protocol: number | undefined): SignedEnvelope {
  const sealed = sealEnvelope(
    { swarm: to.state.swarmId, from: from.id, to: to.id, kind: 'ledger', body: { from: 0, limit: 1 } },
    from.identity.signingKey,
    Date.now(),
  );
  const { protocol: _own, ...rest } = sealed.envelope;
  const envelope = protocol === undefined ? rest : { ...rest, protocol };
  return {
    envelope: envelope as SignedEnvelope['envelope'],
    signature: signStatement(ENVELOPE_TAG, envelope, from.identity.signingKey),
  };
}

describe('the swarm protocol version', () => {
  it('refuses, naming both versions, a member that says none or a newer one, and serves its own', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch']);
    const [alder, birch] = nodes as [SwarmNode, SwarmNode];
    const b = birch.id.slice(0, 8);
    const a = alder.id.slice(0, 8);

    await expect(
      birch.client.deliver(alder.card, ledgerRequest(birch, alder, undefined)),
    ).rejects.toMatchObject({
      code: 'protocol-mismatch',
      message: expect.stringMatching(
        new RegExp(
          `^Member ${b} runs an older RadFed: it says no swarm protocol version \\(a RadFed from before they were ` +
            `checked: protocol 1\\), and member ${a} speaks swarm protocol ${SWARM_PROTOCOL_VERSION} `,
        ),
      ) as unknown,
    });
    await expect(
      birch.client.deliver(alder.card, ledgerRequest(birch, alder, SWARM_PROTOCOL_VERSION + 1)),
    ).rejects.toMatchObject({
      code: 'protocol-mismatch',
      message: expect.stringContaining(
        `Member ${b} runs a newer RadFed: it speaks swarm protocol ${SWARM_PROTOCOL_VERSION + 1}, and member ${a} only swarm protocol ${SWARM_PROTOCOL_VERSION}`,
      ) as unknown,
    });
    // This version's envelope goes through (the answer says the same version, so the client takes it).
    await expect(
      birch.client.deliver(alder.card, ledgerRequest(birch, alder, SWARM_PROTOCOL_VERSION)),
    ).resolves.toHaveLength(1);
  });

  it('reads the version before the rest of the envelope, and counts a missing or garbled one as 1', () => {
    const old = JSON.stringify({
      envelope: { from: 'f'.repeat(64), to: 'e'.repeat(64), kind: 'x' },
      signature: '',
    });
    expect(() => parseEnvelope(old)).toThrow(/Member ffffffff runs an older RadFed.*Install RadFed/);
    const names = { peer: 'member 1a2b3c4d', own: 'this member' };
    for (const said of [undefined, null, '2', 0, 2.5, 1])
      expect(swarmProtocolProblem(said, names), String(said)).toMatch(/runs an older RadFed/);
    expect(swarmProtocolProblem(1, names)).toMatch(/it speaks swarm protocol 1,/);
    for (let v = OLDEST_SWARM_PROTOCOL; v <= SWARM_PROTOCOL_VERSION; v++)
      expect(swarmProtocolProblem(v, names)).toBeNull();
    expect(swarmProtocolProblem(SWARM_PROTOCOL_VERSION + 1, names)).toMatch(
      /^Member 1a2b3c4d runs a newer RadFed: .* Install the newer RadFed at this member;/,
    );
  });
});
