// The relaying member's side: a member that accepts inbound connections holds a mailbox for each member
// whose card names it (`relay://<its id>`). A sender posts a sealed message (relay-sealing.ts) with
// `relay-forward` and its request waits for the answer; the relayed member collects its messages with
// `relay-poll` (an outbound long poll, which a NAT lets through) and posts each sealed answer with
// `relay-reply`. The queues, bounds and TTL are the mailbox every relay uses (relay-mailbox-store.ts,
// also behind the relay that is no member, relay/relay-server.ts); this file only admits the callers.
// The relay holds no key of the conversation: every byte it keeps or passes on is ciphertext, and
// every byte crosses two links (sender → relay → recipient), twice a direct link's traffic.
import { z } from 'zod';
import { findMember } from './membership.ts';
import type { PeerRequest } from './peer-server.ts';
import { DEFAULT_MAILBOX_LIMITS, MailboxStore, type MailboxLimits } from './relay-mailbox-store.ts';
import { relayOf } from './relay-sealing.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';

export { type RelayedItem } from './relay-mailbox-store.ts';

const SEALED = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .max(7 * 1024 * 1024);
const forwardSchema = z.strictObject({ to: z.string().regex(/^[0-9a-f]{32}$/), sealed: SEALED });
const replySchema = z.strictObject({ id: z.string().uuid(), sealed: SEALED });

export class RelayMailbox {
  readonly store: MailboxStore;

  constructor(
    private readonly node: SwarmNode,
    limits: MailboxLimits = DEFAULT_MAILBOX_LIMITS,
  ) {
    this.store = new MailboxStore(limits);
    node.handlers.set('relay-forward', (request) => this.#forward(request));
    node.handlers.set('relay-poll', (request) => this.store.collect(this.#relayed(request.envelope.from)));
    node.handlers.set('relay-reply', (request) => Promise.resolve(this.#reply(request)));
  }

  /** Sealed bytes this relay took in and passed on, for the traffic figures. */
  get bytesForwarded(): number {
    return this.store.bytesForwarded;
  }

  /** `id` when it is a member whose card names this member as its relay. */
  #relayed(id: string): string {
    const member = findMember(this.node.state, id);
    if (member === undefined || relayOf(member.address) !== this.node.id)
      throw new SwarmError('bad-message', `Member ${id.slice(0, 8)} does not name this member as its relay.`);
    return id;
  }

  async #forward(request: PeerRequest): Promise<{ sealed: string }> {
    const body = forwardSchema.safeParse(request.envelope.body);
    if (!body.success)
      throw new SwarmError('bad-message', 'A relay-forward message holds a recipient and a sealed message.');
    const to = this.#relayed(body.data.to);
    // The peer server admitted the sender as a current member: the full lane.
    return { sealed: await this.store.post(to, request.envelope.from, body.data.sealed) };
  }

  #reply(request: PeerRequest): null {
    const body = replySchema.safeParse(request.envelope.body);
    if (!body.success)
      throw new SwarmError('bad-message', 'A relay-reply message holds an id and a sealed answer.');
    // Only the recipient answers its own messages (the store checks it).
    this.store.answer(body.data.id, request.envelope.from, body.data.sealed);
    return null;
  }
}
