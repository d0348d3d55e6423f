// The relayed member's side: a member behind NAT (its card's address is `relay://<relay id>`, a member
// that relays, or `relay+https://…`, a relay that is no member) polls its relay for sealed messages over
// an outbound connection, opens each with its exchange key, checks it as its own server checks a direct
// message (a current member's signature, addressed to it in its swarm, within the clock window, not
// replayed; a join request from a key its card names), runs the same handler, and sends the answer back
// sealed to the sender's reply key (relay-sealing.ts). Models it leads with are fetched through the same
// path, a range at a time (`model-range`). A relay that is no member is also handed the ledger entries
// its copy lacks, so it knows who the members are (relay/relay-admission.ts).
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { publicKeyFingerprint } from '../../../shared/node/federation/index.ts';
import { findMember } from './membership.ts';
import { envelopeSignatureValid, parseEnvelope, ReplayGuard, type SignedEnvelope } from './peer-envelope.ts';
import type { RelayedItem } from './relay-mailbox-store.ts';
import {
  openRelayedRequest,
  relayOf,
  relayServerOf,
  sealRelayedAnswer,
  type RelayedAnswer,
} from './relay-sealing.ts';
import { RelayBehindError, RelayLink, signRelayCard } from './relay/relay-link.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';
import { isRadfedError } from '../../../shared/errors.ts';

/** A model range through a relay: smaller than a direct range, as it is sealed and base64 twice. */
export const RELAYED_MODEL_CHUNK = 1024 * 1024;
const modelRangeSchema = z.strictObject({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  offset: z.number().int().min(0),
});
const LEDGER_PAGE = 500;

/** How the inbox reaches its relay: collect what waits, hand back an answer. */
interface InboxLink {
  collect(): Promise<RelayedItem[]>;
  answer(id: string, sealed: string): Promise<void>;
}

/** Through a relaying member: signed peer messages (`relay-poll`, `relay-reply`). */
function memberLink(node: SwarmNode): InboxLink {
  const relay = () => {
    const state = node.ledger.state;
    const id = relayOf(node.identity.address);
    const member = state && id ? findMember(state, id) : undefined;
    return state && member ? { state, member } : null;
  };
  return {
    async collect() {
      const found = relay();
      if (found === null) {
        await pause(500);
        return [];
      }
      return (await node.client.send(found.member, found.state.swarmId, 'relay-poll', {})) as RelayedItem[];
    },
    async answer(id, sealed) {
      const found = relay();
      if (found) await node.client.send(found.member, found.state.swarmId, 'relay-reply', { id, sealed });
    },
  };
}

/** Through a relay that is no member: its HTTPS routes, and the ledger entries its copy lacks. */
function serverLink(node: SwarmNode): InboxLink {
  const address = relayServerOf(node.identity.address)!;
  const link = new RelayLink(address, {
    certificate: node.certificate,
    timeoutMs: 30_000,
    counters: node.client,
  });
  const card = signRelayCard(
    { signingKey: node.identity.signingPublicKey, exchangeKey: node.identity.exchangePublicKey },
    node.identity.signingKey,
  );
  const push = async (swarm: string, from: number) => {
    for (let height = from; height < (node.ledger.state?.nextHeight ?? 0);) {
      const entries = node.ledger.entries(height, LEDGER_PAGE);
      if (entries.length === 0) break;
      height = await link.pushLedger(swarm, entries);
    }
  };
  return {
    async collect() {
      const state = node.ledger.state;
      if (state === null) {
        await pause(500); // not in a swarm yet (joining)
        return [];
      }
      try {
        const { items, height } = await link.poll(state.swarmId, state.nextHeight, card);
        // Keep the relay's copy current, so it admits members that joined since and refuses those that left.
        if (height < (node.ledger.state?.nextHeight ?? 0)) void push(state.swarmId, height).catch(() => {});
        return items;
      } catch (error) {
        if (!(error instanceof RelayBehindError)) throw error;
        await push(state.swarmId, error.relayHeight);
        return [];
      }
    },
    answer: (id, sealed) => link.reply(id, sealed),
  };
}

export class RelayInbox {
  readonly #guard = new ReplayGuard();
  #running = true;
  readonly #loop: Promise<void>;
  readonly #link: InboxLink;

  constructor(
    private readonly node: SwarmNode,
    private readonly exchangePrivateKey: KeyObject,
  ) {
    node.handlers.set('model-range', (request) => {
      const body = modelRangeSchema.parse(request.envelope.body);
      const bytes = node.models.get(body.hash);
      if (bytes === undefined)
        throw new SwarmError('model-mismatch', 'This member does not hold that model.');
      const chunk = bytes.subarray(body.offset, body.offset + RELAYED_MODEL_CHUNK);
      return Promise.resolve({ size: bytes.length, chunk: chunk.toString('base64') });
    });
    this.#link = relayServerOf(node.identity.address) !== null ? serverLink(node) : memberLink(node);
    this.#loop = this.#collect();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #collect(): Promise<void> {
    while (this.#running) {
      try {
        const items = await this.#link.collect();
        for (const item of items) void this.#answer(item);
      } catch (error) {
        this.node.logger.debug({ err: error }, 'polling the relay failed; trying again');
        await pause(1000);
      }
    }
  }

  async #answer(item: RelayedItem): Promise<void> {
    const state = this.node.state;
    let request;
    try {
      request = openRelayedRequest(
        item.sealed,
        this.exchangePrivateKey,
        item.from,
        this.node.id,
        state.swarmId,
      );
    } catch (error) {
      this.node.logger.warn({ err: error }, 'a relayed message could not be opened');
      return;
    }
    let answer: RelayedAnswer;
    try {
      // Parsed as any envelope from the wire: the sealed contents are only as trustworthy as their sender.
      const signed = parseEnvelope(JSON.stringify(request.signed));
      if (signed.envelope.from !== item.from)
        throw new SwarmError('bad-message', 'The relayed message names another sender than the relay says.');
      answer = { ok: true, value: (await this.#handle(signed)) ?? null };
    } catch (error) {
      const known = isRadfedError(error);
      answer = {
        ok: false,
        error: known ? error.code : 'internal',
        message: known ? error.message : 'The member failed to handle the message; see its log.',
      };
    }
    await this.#link
      .answer(item.id, sealRelayedAnswer(answer, request))
      .catch((error: unknown) =>
        this.node.logger.debug({ err: error }, 'answering through the relay failed'),
      );
  }

  /** The checks a direct message gets at the server (peer-server.ts), then its handler. */
  async #handle(signed: SignedEnvelope): Promise<unknown> {
    const { envelope } = signed;
    const state = this.node.state;
    const senderKey = findMember(state, envelope.from)?.signingKey ?? joinerKey(signed);
    if (senderKey === undefined)
      throw new SwarmError('not-member', 'The relayed message is not from a member.');
    if (envelope.swarm !== state.swarmId)
      throw new SwarmError('wrong-swarm', 'This message is for another swarm.');
    if (envelope.to !== this.node.id)
      throw new SwarmError('not-member', 'This message is addressed to another member.');
    if (!envelopeSignatureValid(signed, senderKey))
      throw new SwarmError('bad-signature', "The message's signature does not verify with the sender's key.");
    this.#guard.admit(envelope, Date.now());
    const handler = this.node.handlers.get(envelope.kind);
    if (handler === undefined)
      throw new SwarmError('unknown-message', `This member does not take '${envelope.kind}' messages.`);
    return handler({ envelope, senderKey });
  }
}

/**
 * A non-member may only ask to join, signed by the key its card names (whose fingerprint is its id), as
 * at a member's server; the invitation then decides.
 */
function joinerKey(signed: SignedEnvelope): string | undefined {
  if (signed.envelope.kind !== 'join') return undefined;
  const key = (signed.envelope.body as { member?: { signingKey?: unknown } } | null)?.member?.signingKey;
  return typeof key === 'string' && publicKeyFingerprint(key) === signed.envelope.from ? key : undefined;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
