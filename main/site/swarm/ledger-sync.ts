// Keeping members' copies of the ledger level on the peer network: a member sends what it committed to
// all (best effort), serves its ledger by pages, and one that is behind (it was down, or a message
// names a height it lacks) pulls the missing pages from a peer and verifies them like any chain.
import { z } from 'zod';
import type { SignedEntry } from './ledger-entry.ts';
import { findMember, type MemberRecord } from './membership.ts';
import type { PeerRequest } from './peer-server.ts';
import { isRelayedAddress } from './relay-sealing.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';

/** Entries per page a member asks for and serves. */
export const LEDGER_PAGE = 500;

const pageRequestSchema = z.strictObject({
  from: z.number().int().min(0),
  limit: z.number().int().min(1).max(LEDGER_PAGE),
});

/** Sends committed entries to every other member (best effort: a member that missed them catches up). */
export async function broadcastEntries(node: SwarmNode, entries: readonly SignedEntry[]): Promise<void> {
  const swarm = node.state.swarmId;
  const send = (peer: MemberRecord) => node.client.send(peer, swarm, 'entries', { entries });
  // A member behind a relay gets its copy when it next polls (a joiner only once it holds the
  // ledger): not waited for, so a proposal's answer does not wait on it.
  for (const peer of node.peers().filter((p) => isRelayedAddress(p.address)))
    send(peer).catch((error: unknown) => node.logger.debug({ err: error }, 'relayed broadcast failed'));
  await Promise.allSettled(
    node
      .peers()
      .filter((p) => !isRelayedAddress(p.address))
      .map(send),
  );
}

/** Pulls entries `node` lacks from the first of `peers` that has them. */
export async function catchUpFrom(
  node: SwarmNode,
  peers: readonly Pick<MemberRecord, 'id' | 'address' | 'signingKey'>[],
): Promise<void> {
  for (const peer of peers) {
    try {
      for (;;) {
        const next = node.state.nextHeight;
        const page = await node.client.send(peer, node.state.swarmId, 'ledger', {
          from: next,
          limit: LEDGER_PAGE,
        });
        if (!Array.isArray(page) || page.length === 0) break;
        node.storeEntries(page);
        if (page.length < LEDGER_PAGE) break;
      }
    } catch (error) {
      node.logger.debug({ err: error }, 'catching up from a peer failed; trying the next');
    }
  }
}

/** Answers peers' 'entries' (committed entries sent to all) and 'ledger' (a page) messages. */
export function serveLedgerSync(node: SwarmNode): void {
  node.handlers.set('entries', async (request: PeerRequest) => {
    const entries = (request.envelope.body as { entries?: unknown } | null)?.entries;
    if (!Array.isArray(entries))
      throw new SwarmError('bad-message', 'An entries message holds a list of entries.');
    const first = (entries[0] as { entry?: { height?: number } } | undefined)?.entry?.height ?? 0;
    if (first > node.state.nextHeight) {
      const sender = findMember(node.state, request.envelope.from);
      if (sender) await node.catchUp(sender);
    }
    node.storeEntries(entries);
    return null;
  });
  node.handlers.set('ledger', (request: PeerRequest) => {
    const body = pageRequestSchema.parse(request.envelope.body);
    return Promise.resolve(node.ledger.entries(body.from, body.limit));
  });
}
