// The client side of the peer network: one TLS connection per request, with this member's certificate
// (mutual TLS), to a member whose certificate must carry the signing key the ledger holds for it. The
// key is checked as soon as the handshake ends, before a byte of the message is written, so a message
// meant for a member never reaches a server that is not that member.
import { createHash } from 'node:crypto';
import { swarmProtocolProblem } from '../../../shared/federation/index.ts';
import { publicKeyFingerprint } from '../../../shared/node/federation/index.ts';
import type { MemberCard } from './ledger-entry.ts';
import type { PeerCertificate } from './peer-certificate.ts';
import { pinnedRequest, type PinnedAnswer } from './pinned-request.ts';
import { sealEnvelope, type SignedEnvelope } from './peer-envelope.ts';
import { MAX_MODEL_CHUNK, MESSAGE_PATH, MODEL_PATH } from './peer-server.ts';
import { isRelayedAddress, relayOf, relayServerOf, sealRelayedRequest } from './relay-sealing.ts';
import { RelayLink, sendThroughRelayServer } from './relay/relay-link.ts';
import { SwarmError, type SwarmErrorCode } from './swarm-error.ts';
import type { KeyObject } from 'node:crypto';

export interface PeerClientOptions {
  readonly certificate: PeerCertificate;
  readonly signingKey: KeyObject;
  readonly ownId: string;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/**
 * Who to call: a member card (its certificate must carry `signingKey`), or, for a join, the inviter's
 * address and id from the invitation (its certificate's key must have that fingerprint).
 */
export type PeerTarget = Pick<MemberCard, 'id' | 'address'> & { readonly signingKey?: string };

/** What the client reads of the ledger to reach a relayed member. */
export interface PeerDirectory {
  member(id: string): MemberCard | undefined;
  swarmId(): string | null;
}

export class PeerClient {
  /** Bytes this member sent and received as a client, for the demo's traffic per member. */
  bytesOut = 0;
  bytesIn = 0;

  /**
   * The ledger's members and swarm (set by the node): a member whose card names a relay is reached through
   * that member, sealed end to end to the recipient's exchange key (relay-sealing.ts).
   */
  directory: PeerDirectory | null = null;

  constructor(private readonly options: PeerClientOptions) {}

  /** Sends one signed message and returns the peer's answer (its `value`). */
  async send(target: PeerTarget, swarm: string, kind: string, body: unknown): Promise<unknown> {
    const now = (this.options.now ?? Date.now)();
    const signed = sealEnvelope(
      { swarm, from: this.options.ownId, to: target.id, kind, body },
      this.options.signingKey,
      now,
    );
    const relayId = relayOf(target.address);
    if (relayId !== null) return this.#viaRelay(target, relayId, signed);
    const relayServer = relayServerOf(target.address);
    if (relayServer !== null) {
      const link = new RelayLink(relayServer, {
        certificate: this.options.certificate,
        timeoutMs: this.options.timeoutMs ?? 30_000,
        counters: this,
      });
      return sendThroughRelayServer(link, signed, this.directory?.member(target.id)?.exchangeKey);
    }
    return this.deliver(target, signed);
  }

  /** Sends `signed` to a relayed member: sealed to its exchange key, posted to its relay, the answer opened. */
  async #viaRelay(target: PeerTarget, relayId: string, signed: SignedEnvelope): Promise<unknown> {
    const recipient = this.directory?.member(target.id);
    const relay = this.directory?.member(relayId);
    if (recipient === undefined || relay === undefined || isRelayedAddress(relay.address))
      throw new SwarmError(
        'peer-unreachable',
        `Member ${target.id.slice(0, 8)} is reached through a relay that is not a member with an address of its own.`,
      );
    const { sealed, openAnswer } = sealRelayedRequest(signed, recipient.exchangeKey);
    const forward = sealEnvelope(
      {
        swarm: signed.envelope.swarm,
        from: this.options.ownId,
        to: relay.id,
        kind: 'relay-forward',
        body: { to: target.id, sealed },
      },
      this.options.signingKey,
      (this.options.now ?? Date.now)(),
    );
    const reply = (await this.deliver(relay, forward)) as { sealed?: unknown } | null;
    if (typeof reply?.sealed !== 'string')
      throw new SwarmError('peer-refused', `The relay for member ${target.id.slice(0, 8)} sent no answer.`);
    const answer = openAnswer(reply.sealed);
    if (!answer.ok)
      throw new SwarmError(
        (answer.error as SwarmErrorCode | undefined) ?? 'peer-refused',
        answer.message ?? `Member ${target.id.slice(0, 8)} refused the message.`,
      );
    return answer.value;
  }

  /** Posts an envelope already sealed (by this member, or by another one when relaying). */
  async deliver(target: PeerTarget, signed: SignedEnvelope): Promise<unknown> {
    const payload = Buffer.from(JSON.stringify(signed));
    const answer = await this.#exchange(target, 'POST', MESSAGE_PATH, payload);
    let parsed: { ok?: boolean; value?: unknown; error?: string; message?: string; protocol?: unknown };
    try {
      parsed = JSON.parse(answer.body.toString('utf8')) as typeof parsed;
    } catch {
      throw new SwarmError(
        'peer-refused',
        `Member ${target.id.slice(0, 8)} answered HTTP ${answer.status} without JSON.`,
      );
    }
    // An older member refuses this one's envelopes as malformed, a newer one answers what this one may
    // misread: either way the sentence names both versions (a refusal of the envelope's version too).
    const problem =
      parsed.error === 'protocol-mismatch'
        ? null
        : swarmProtocolProblem(parsed.protocol, {
            peer: `member ${target.id.slice(0, 8)}`,
            own: 'this member',
          });
    if (problem) throw new SwarmError('protocol-mismatch', problem);
    if (answer.status !== 200 || parsed.ok !== true)
      throw new SwarmError(
        (parsed.error as SwarmErrorCode | undefined) ?? 'peer-refused',
        parsed.message ?? `Member ${target.id.slice(0, 8)} refused the message (HTTP ${answer.status}).`,
      );
    return parsed.value;
  }

  /**
   * Fetches the model with SHA-256 `hash` from `target`, a range at a time, resuming from `have` (the
   * bytes already fetched); the bytes are returned only when their SHA-256 is `hash`.
   */
  async fetchModel(target: PeerTarget, hash: string, have: Buffer = Buffer.alloc(0)): Promise<Buffer> {
    const parts = [have];
    let offset = have.length;
    const swarm = isRelayedAddress(target.address) ? (this.directory?.swarmId() ?? null) : null;
    while (swarm !== null) {
      // A relayed member serves its models as messages, a range at a time.
      const range = (await this.send(target, swarm, 'model-range', { hash, offset })) as {
        size: number;
        chunk: string;
      };
      const chunk = Buffer.from(range.chunk, 'base64');
      parts.push(chunk);
      offset += chunk.length;
      if (offset >= range.size || chunk.length === 0) break;
    }
    for (; swarm === null;) {
      const answer = await this.#exchange(target, 'GET', `${MODEL_PATH}${hash}?offset=${offset}`);
      if (answer.status !== 200)
        throw new SwarmError(
          'model-mismatch',
          `Member ${target.id.slice(0, 8)} does not hold model ${hash.slice(0, 8)}.`,
        );
      const size = Number(answer.headers['x-radfed-model-size']);
      parts.push(answer.body);
      offset += answer.body.length;
      if (offset >= size || answer.body.length === 0 || answer.body.length < MAX_MODEL_CHUNK) break;
    }
    const bytes = Buffer.concat(parts);
    if (createHash('sha256').update(bytes).digest('hex') !== hash)
      throw new SwarmError(
        'model-mismatch',
        `The model from member ${target.id.slice(0, 8)} does not have the hash the ledger records; it was not used.`,
      );
    return bytes;
  }

  #exchange(target: PeerTarget, method: string, path: string, body?: Buffer): Promise<PinnedAnswer> {
    const url = new URL(target.address);
    return pinnedRequest(
      {
        url,
        // A member card pins its signing key; an invitation, only the key's fingerprint.
        isPinned: (key) =>
          target.signingKey !== undefined
            ? key === target.signingKey
            : publicKeyFingerprint(key) === target.id,
        who: `member ${target.id.slice(0, 8)} at ${url.host}`,
        notPinned: `The server at ${url.host} is not member ${target.id.slice(0, 8)}: its certificate does not carry the key the ledger holds. Check the address.`,
      },
      { method, path, body, contentType: 'application/json' },
      { certificate: this.options.certificate, timeoutMs: this.options.timeoutMs ?? 30_000, counters: this },
    );
  }
}
