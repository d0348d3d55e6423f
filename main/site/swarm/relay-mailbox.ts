// The relay's side: a member that accepts inbound connections holds a mailbox for each member whose
// card names it (`relay://<its id>`). A sender posts a sealed message (relay-sealing.ts) with
// `relay-forward` and its request waits for the answer; the relayed member collects its messages with
// `relay-poll` (an outbound long poll, which a NAT lets through) and posts each sealed answer with
// `relay-reply`. The relay holds no key of the conversation: every byte it keeps or passes on is
// ciphertext, and every byte crosses two links (sender → relay → recipient), twice a direct link's
// traffic on the relay's own link.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { findMember } from './membership.ts';
import type { PeerRequest } from './peer-server.ts';
import { relayOf } from './relay-sealing.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';

const SEALED = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .max(7 * 1024 * 1024);
const forwardSchema = z.strictObject({ to: z.string().regex(/^[0-9a-f]{32}$/), sealed: SEALED });
const replySchema = z.strictObject({ id: z.string().uuid(), sealed: SEALED });

export interface RelayedItem {
  readonly id: string;
  readonly from: string;
  readonly sealed: string;
}

export interface RelayLimits {
  /** How long a sender's request waits for the recipient's answer. */
  readonly answerTimeoutMs: number;
  /** How long a poll waits for a message before it answers with none. */
  readonly pollWaitMs: number;
  /** Messages held for one recipient at most (a sender beyond it is told to try later). */
  readonly maxQueued: number;
}

const DEFAULT_LIMITS: RelayLimits = { answerTimeoutMs: 60_000, pollWaitMs: 5_000, maxQueued: 256 };

export class RelayMailbox {
  readonly #queues = new Map<string, RelayedItem[]>();
  readonly #waiting = new Map<string, { to: string; answer: (sealed: string) => void }>();
  readonly #wake = new Map<string, () => void>();
  /** Sealed bytes this relay took in and passed on, for the traffic figures. */
  bytesForwarded = 0;

  constructor(
    private readonly node: SwarmNode,
    private readonly limits: RelayLimits = DEFAULT_LIMITS,
  ) {
    node.handlers.set('relay-forward', (request) => this.#forward(request));
    node.handlers.set('relay-poll', (request) => this.#poll(request));
    node.handlers.set('relay-reply', (request) => Promise.resolve(this.#reply(request)));
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
    const queue = this.#queues.get(to) ?? [];
    if (queue.length >= this.limits.maxQueued)
      throw new SwarmError(
        'peer-unreachable',
        `Member ${to.slice(0, 8)} has not collected its relayed messages; try later.`,
      );
    const item = { id: randomUUID(), from: request.envelope.from, sealed: body.data.sealed };
    queue.push(item);
    this.#queues.set(to, queue);
    this.bytesForwarded += item.sealed.length;
    this.#wake.get(to)?.();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(item.id);
        const held = this.#queues.get(to);
        if (held)
          this.#queues.set(
            to,
            held.filter((i) => i.id !== item.id),
          );
        reject(
          new SwarmError(
            'peer-unreachable',
            `Member ${to.slice(0, 8)} did not answer through this relay in time.`,
          ),
        );
      }, this.limits.answerTimeoutMs);
      this.#waiting.set(item.id, {
        to,
        answer: (sealed) => {
          clearTimeout(timer);
          this.bytesForwarded += sealed.length;
          resolve({ sealed });
        },
      });
    });
  }

  async #poll(request: PeerRequest): Promise<RelayedItem[]> {
    const to = this.#relayed(request.envelope.from);
    if ((this.#queues.get(to) ?? []).length === 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.limits.pollWaitMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake.set(to, done);
      });
    this.#wake.delete(to);
    // An answer at most 6 MiB, so it stays within the size a member reads.
    const items: RelayedItem[] = [];
    let size = 0;
    const queue = this.#queues.get(to) ?? [];
    while (queue.length > 0 && (items.length === 0 || size + queue[0]!.sealed.length < 6 * 1024 * 1024)) {
      const item = queue.shift()!;
      size += item.sealed.length;
      items.push(item);
    }
    return items;
  }

  #reply(request: PeerRequest): null {
    const body = replySchema.safeParse(request.envelope.body);
    if (!body.success)
      throw new SwarmError('bad-message', 'A relay-reply message holds an id and a sealed answer.');
    const waiting = this.#waiting.get(body.data.id);
    // Only the recipient answers its own messages.
    if (waiting === undefined || waiting.to !== request.envelope.from) return null;
    this.#waiting.delete(body.data.id);
    waiting.answer(body.data.sealed);
    return null;
  }
}
