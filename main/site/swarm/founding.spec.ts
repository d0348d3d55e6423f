// Founding and invitations: the token carries the pins a joiner checks, a bad token is refused with a
// sentence that says what to do, and a joiner refuses a ledger that is not the swarm it was invited to.
import { describe, expect, it } from 'vitest';
import { verifyInvitedLedger } from './founding.ts';
import { invitationIdFor } from './invitation-book.ts';
import { formatSwarmInvitation, parseSwarmInvitation, type SwarmInvitation } from './invitation-token.ts';
import { buildTestSwarm } from './testing/swarm-fixture.ts';

describe('swarm invitations', () => {
  const invitation: SwarmInvitation = {
    inviterAddress: 'https://pacs-gw.leeds.example:8443',
    swarmId: 'ab'.repeat(32),
    inviterKeyFingerprint: 'cd'.repeat(16),
    secret: 'S'.repeat(43),
  };

  it('round-trips through its "rfs1." text', () => {
    const token = formatSwarmInvitation(invitation);
    expect(token.startsWith('rfs1.')).toBe(true);
    expect(parseSwarmInvitation(`  ${token}\n`)).toEqual(invitation);
  });

  it('refuses what is not an invitation, and a hub enrollment token, with what to do', () => {
    const hubToken = `rft1.${Buffer.from(JSON.stringify({ u: 'https://hub.example' })).toString('base64url')}`;
    for (const text of ['', 'hello', hubToken, 'rfs1.!!!', `rfs1.${'A'.repeat(5000)}`]) {
      expect(() => parseSwarmInvitation(text)).toThrow(/copy the whole invitation/);
    }
    const extra = `rfs1.${Buffer.from(JSON.stringify({ a: invitation.inviterAddress, w: invitation.swarmId, k: invitation.inviterKeyFingerprint, s: invitation.secret, x: 1 })).toString('base64url')}`;
    expect(() => parseSwarmInvitation(extra)).toThrow(expect.objectContaining({ code: 'bad-token' }));
  });

  it("a joiner accepts only the invited swarm's ledger, holding the inviter's key and admitting the joiner", () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon']);
    const [leeds, lyon] = swarm.sites;
    const pins = { ...invitation, swarmId: swarm.state.swarmId, inviterKeyFingerprint: leeds!.id };
    expect(verifyInvitedLedger(swarm.chain, pins, lyon!.id)).toHaveLength(2);
    const other = buildTestSwarm(['Oslo', 'Bergen']);
    expect(() => verifyInvitedLedger(other.chain, pins, lyon!.id)).toThrow(
      expect.objectContaining({ code: 'wrong-swarm', height: 0 }),
    );
    expect(() =>
      verifyInvitedLedger(swarm.chain, { ...pins, inviterKeyFingerprint: 'ef'.repeat(16) }, lyon!.id),
    ).toThrow(/inviting member's key/);
    expect(() => verifyInvitedLedger(swarm.chain.slice(0, 1), pins, lyon!.id)).toThrow(
      /does not \(yet\) admit/,
    );
    expect(invitationIdFor(invitation.secret)).toMatch(/^[0-9a-f]{32}$/);
  });
});
