// Joining a swarm over the peer network, both sides. The joiner sends its request (its card, the
// invitation's id and secret, its signature) to the inviter named in the invitation, and checks the
// ledger it gets back against the invitation's pins. The inviter redeems the invitation once and
// proposes the join entry, which the members countersign like any entry.
import { z } from 'zod';
import { verifyChain } from './chain-verification.ts';
import { joinEntryFor, makeJoinRequest } from './founding.ts';
import { InvitationBook } from './invitation-book.ts';
import { parseSwarmInvitation } from './invitation-token.ts';
import { collectQuorum } from './entry-collection.ts';
import { memberCardSchema } from './ledger-entry.ts';
import { LEDGER_PAGE } from './ledger-sync.ts';
import type { PeerRequest } from './peer-server.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';

const joinRequestSchema = z.strictObject({
  swarm: z.string().regex(/^[0-9a-f]{64}$/),
  member: memberCardSchema,
  invitation: z.string().regex(/^[0-9a-f]{32}$/),
  secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});

/** The joiner's side: returns the swarm's id once the ledger admits `node`. */
export async function joinByInvitation(node: SwarmNode, token: string): Promise<string> {
  const invitation = parseSwarmInvitation(token);
  const request = makeJoinRequest(invitation, node.identity);
  const target = { id: invitation.inviterKeyFingerprint, address: invitation.inviterAddress };
  const page = await node.client.send(target, invitation.swarmId, 'join', request);
  if (!Array.isArray(page)) throw new SwarmError('bad-message', 'The inviting member sent no ledger.');
  // The first page must begin at the genesis the invitation pins; a longer ledger is fetched on from
  // the inviter, and only then must it admit this site and hold the inviter's key.
  verifyChain(null, page, { swarmId: invitation.swarmId });
  node.storeEntries(page);
  const inviter = node.state.members.find((member) => member.id === invitation.inviterKeyFingerprint);
  if (inviter) await node.catchUp(inviter);
  const admitted = node.state.members.some((member) => member.id === node.id);
  if (inviter === undefined || !admitted)
    throw new SwarmError(
      'bad-invitation',
      'The ledger the inviting member sent does not admit this site, or does not hold the inviter from the invitation.',
    );
  return invitation.swarmId;
}

/** The inviter's side: answers 'join' by proposing the join entry, then sends the ledger. */
export function serveJoins(node: SwarmNode): void {
  node.handlers.set('join', async (request: PeerRequest) => {
    const parsed = joinRequestSchema.safeParse(request.envelope.body);
    if (!parsed.success) throw new SwarmError('bad-message', 'The join request is malformed. Update RadFed.');
    const join = parsed.data;
    if (join.member.signingKey !== request.senderKey || join.member.id !== request.envelope.from)
      throw new SwarmError(
        'not-member',
        'The join request names another key than the certificate it came with.',
      );
    const book = new InvitationBook(node.ledger.db);
    await node.catchUp();
    const entry = joinEntryFor(node.state, book, join, node.id, node.now());
    await collectQuorum(node, entry);
    return node.ledger.entries(0, LEDGER_PAGE);
  });
}
