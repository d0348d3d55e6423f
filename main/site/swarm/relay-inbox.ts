// The relayed member's side: a member behind NAT (its card's address is `relay://<relay id>`) polls
// its relay for sealed messages over an outbound connection, opens each with its exchange key, checks
// it as its own server checks a direct message (a current member's signature, addressed to it in its
// swarm, within the clock window, not replayed), runs the same handler, and sends the answer back
// sealed to the sender's reply key (relay-sealing.ts). Models it leads with are fetched through the
// same path, a range at a time (`model-range`).
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { findMember } from './membership.ts';
import { envelopeSignatureValid, parseEnvelope, ReplayGuard, type SignedEnvelope } from './peer-envelope.ts';
import type { RelayedItem } from './relay-mailbox.ts';
import { openRelayedRequest, relayOf, sealRelayedAnswer, type RelayedAnswer } from './relay-sealing.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';
import { isRadfedError } from '../../../shared/errors.ts';

/** A model range through a relay: smaller than a direct range, as it is sealed and base64 twice. */
export const RELAYED_MODEL_CHUNK = 1024 * 1024;
const modelRangeSchema = z.strictObject({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  offset: z.number().int().min(0),
});

export class RelayInbox {
  readonly #guard = new ReplayGuard();
  #running = true;
  readonly #loop: Promise<void>;

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
    this.#loop = this.#collect();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #collect(): Promise<void> {
    while (this.#running) {
      try {
        const state = this.node.ledger.state;
        const relayId = relayOf(this.node.identity.address);
        const relay = state && relayId ? findMember(state, relayId) : undefined;
        if (!state || !relay) {
          await pause(500);
          continue;
        }
        const items = (await this.node.client.send(relay, state.swarmId, 'relay-poll', {})) as RelayedItem[];
        for (const item of items) void this.#answer(item);
      } catch (error) {
        this.node.logger.debug({ err: error }, 'polling the relay failed; trying again');
        await pause(1000);
      }
    }
  }

  async #answer(item: RelayedItem): Promise<void> {
    const state = this.node.state;
    const relay = findMember(state, relayOf(this.node.identity.address) ?? '');
    if (!relay) return;
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
    await this.node.client
      .send(relay, state.swarmId, 'relay-reply', { id: item.id, sealed: sealRelayedAnswer(answer, request) })
      .catch((error: unknown) =>
        this.node.logger.debug({ err: error }, 'answering through the relay failed'),
      );
  }

  /** The checks a direct message gets at the server (peer-server.ts), then its handler. */
  async #handle(signed: SignedEnvelope): Promise<unknown> {
    const { envelope } = signed;
    const state = this.node.state;
    const sender = findMember(state, envelope.from);
    if (sender === undefined) throw new SwarmError('not-member', 'The relayed message is not from a member.');
    if (envelope.swarm !== state.swarmId)
      throw new SwarmError('wrong-swarm', 'This message is for another swarm.');
    if (envelope.to !== this.node.id)
      throw new SwarmError('not-member', 'This message is addressed to another member.');
    if (!envelopeSignatureValid(signed, sender.signingKey))
      throw new SwarmError('bad-signature', "The message's signature does not verify with the sender's key.");
    this.#guard.admit(envelope, Date.now());
    const handler = this.node.handlers.get(envelope.kind);
    if (handler === undefined)
      throw new SwarmError('unknown-message', `This member does not take '${envelope.kind}' messages.`);
    return handler({ envelope, senderKey: sender.signingKey });
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
