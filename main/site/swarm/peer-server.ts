// A member's HTTPS server for the peer network. Mutual TLS: the server asks every client for its
// certificate, and a request is served only when that certificate's Ed25519 key is the signing key of
// a current member in this member's ledger (peer-certificate.ts). The one exception is a join request:
// the joiner is not a member yet, so it may send `join` alone, signed by the key its card names.
// Every request is one signed envelope (peer-envelope.ts) posted to /swarm/v1/message, bounded in
// size before it is read; models are fetched by hash from /swarm/v1/models/<sha256> with a byte range,
// so a transfer that breaks resumes where it stopped (as the hub's chunked uploads do).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isRadfedError } from '../../../shared/errors.ts';
import type { Logger } from 'pino';
import type { MembershipState } from './membership.ts';
import { MutualTlsServer } from './mutual-tls-server.ts';
import type { PeerCertificate } from './peer-certificate.ts';
import { peerKeyOf } from './peer-certificate.ts';
import {
  envelopeSignatureValid,
  MAX_MESSAGE_BYTES,
  parseEnvelope,
  ReplayGuard,
  type PeerEnvelope,
} from './peer-envelope.ts';
import { SWARM_PROTOCOL_VERSION } from '../../../shared/federation/index.ts';
import { SwarmError } from './swarm-error.ts';

export const MESSAGE_PATH = '/swarm/v1/message';
export const MODEL_PATH = '/swarm/v1/models/';
/** At most this many bytes of a model in one answer; the client asks for the next range. */
export const MAX_MODEL_CHUNK = 4 * 1024 * 1024;
/**
 * The most a caller that is no member may send: a join request (its card and invitation, ~2 KiB).
 * Anyone can make a certificate, so without it any neighbour could have this member hold 8 MiB per
 * connection it opens before the body was even looked at.
 */
export const MAX_JOIN_BYTES = 64 * 1024;
/** Connections at once: members and joiners are a few dozen; each costs a socket and its buffers. */
const MAX_CONNECTIONS = 512;
/**
 * Bytes of one member's messages read at once, over all its connections: eight whole messages. A member
 * sends a peer one message at a time and waits for its answer, so only a hostile one meets this; without
 * it, one member's connections (64 from its address, 512 in all) could have this member hold 4 GiB.
 */
export const MAX_MEMBER_READING_BYTES = 8 * MAX_MESSAGE_BYTES;

/** A verified message, and the key of the certificate it came with (which signed it). */
export interface PeerRequest {
  readonly envelope: PeerEnvelope;
  readonly senderKey: string;
}

export type MessageHandler = (request: PeerRequest) => Promise<unknown>;

export interface PeerServerOptions {
  readonly certificate: PeerCertificate;
  readonly ownId: () => string;
  /** The ledger's state now (membership decides who may connect). */
  readonly state: () => MembershipState | null;
  /** The handler for a kind of message, or undefined when this member takes none of that kind. */
  readonly handler: (kind: string) => MessageHandler | undefined;
  /** The bytes of a model this member holds, by SHA-256, or null. */
  readonly model: (hash: string) => Buffer | null;
  readonly logger: Logger;
  readonly now?: () => number;
}

export class PeerServer {
  readonly #server: MutualTlsServer;
  readonly #replays = new ReplayGuard();
  /** Bytes of each member's bodies being read now, by its signing key. */
  readonly #reading = new Map<string, number>();
  /** Bytes this server received and sent in answers, for the demo's traffic per member. */
  bytesIn = 0;
  bytesOut = 0;

  constructor(private readonly options: PeerServerOptions) {
    this.#server = new MutualTlsServer(options.certificate, (req, res) => this.#serve(req, res), {
      requestTimeoutMs: 120_000,
      maxConnections: MAX_CONNECTIONS,
    });
  }

  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return this.#server.listen(port, host);
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const peerKey = peerKeyOf((req.socket as TLSSocket).getPeerX509Certificate());
      if (peerKey === null)
        throw new SwarmError(
          'not-member',
          'This server answers swarm members only: connect with the certificate RadFed made from your swarm key.',
        );
      const state = this.options.state();
      const member = state?.members.find((m) => m.signingKey === peerKey);
      if (req.method === 'GET' && req.url?.startsWith(MODEL_PATH)) {
        if (member === undefined) throw notMember();
        this.#sendModel(req, res);
        return;
      }
      if (req.method !== 'POST' || req.url !== MESSAGE_PATH)
        throw new SwarmError('unknown-message', 'Unknown swarm route; update RadFed at the calling member.');
      const text =
        member === undefined
          ? await readBounded(req, MAX_JOIN_BYTES, joinTooLarge)
          : await this.#readFromMember(req, peerKey);
      this.bytesIn += Buffer.byteLength(text);
      const signed = parseEnvelope(text);
      const { envelope } = signed;
      // A non-member may only ask to join, and only with the key of the certificate it connected with.
      if (member === undefined && envelope.kind !== 'join') throw notMember();
      if (member !== undefined && member.id !== envelope.from)
        throw new SwarmError(
          'not-member',
          'The message names another sender than the certificate it came with.',
        );
      if (state !== null && envelope.swarm !== state.swarmId)
        throw new SwarmError('wrong-swarm', 'This message is for another swarm.');
      if (envelope.to !== this.options.ownId())
        throw new SwarmError('not-member', 'This message is addressed to another member.');
      if (!envelopeSignatureValid(signed, peerKey))
        throw new SwarmError(
          'bad-signature',
          "The message's signature does not verify with the sender's key.",
        );
      this.#replays.admit(envelope, (this.options.now ?? Date.now)());
      const handler = this.options.handler(envelope.kind);
      if (handler === undefined)
        throw new SwarmError('unknown-message', `This member does not take '${envelope.kind}' messages.`);
      const value = await handler({ envelope, senderKey: peerKey });
      this.#answer(res, 200, { ok: true, value: value ?? null });
    } catch (error) {
      const known = isRadfedError(error);
      if (!known) this.options.logger.warn({ err: error }, 'swarm peer request failed');
      // A refused body may still be arriving: close the connection rather than read the rest.
      if (!res.headersSent) res.setHeader('connection', 'close');
      const status = !known
        ? 500
        : error.code === 'not-member'
          ? 403
          : error.code === 'too-large'
            ? 413
            : error.code === 'peer-unreachable'
              ? 503
              : 409;
      this.#answer(res, status, {
        ok: false,
        error: known ? error.code : 'internal',
        message: known ? error.message : 'The member failed to handle the message; see its log.',
      });
    }
  }

  /** A member's body, counted against what this server reads from that member at once. */
  async #readFromMember(req: IncomingMessage, memberKey: string): Promise<string> {
    let held = 0;
    const hold = (bytes: number) => {
      const reading = (this.#reading.get(memberKey) ?? 0) + bytes;
      if (reading > MAX_MEMBER_READING_BYTES)
        // The sender's client reads this code as the member being unreachable for now: it tries later.
        throw new SwarmError(
          'peer-unreachable',
          `This member is already reading ${MAX_MEMBER_READING_BYTES / 1024 / 1024} MiB of your messages, the most ` +
            'it reads from one member at once; wait for their answers, then send again.',
        );
      this.#reading.set(memberKey, reading);
      held += bytes;
    };
    try {
      return await readBounded(req, MAX_MESSAGE_BYTES, undefined, hold);
    } finally {
      const left = (this.#reading.get(memberKey) ?? 0) - held;
      if (left > 0) this.#reading.set(memberKey, left);
      else this.#reading.delete(memberKey);
    }
  }

  #sendModel(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '', 'https://peer');
    const hash = url.pathname.slice(MODEL_PATH.length);
    const bytes = /^[0-9a-f]{64}$/.test(hash) ? this.options.model(hash) : null;
    if (bytes === null) {
      this.#answer(res, 404, {
        ok: false,
        error: 'unknown-model',
        message: 'This member does not hold that model.',
      });
      return;
    }
    const offset = Math.min(Number(url.searchParams.get('offset') ?? 0) || 0, bytes.length);
    const chunk = bytes.subarray(offset, offset + MAX_MODEL_CHUNK);
    this.bytesOut += chunk.length;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': chunk.length,
      'x-radfed-model-size': bytes.length,
    });
    res.end(chunk);
  }

  #answer(res: ServerResponse, status: number, body: object): void {
    // Every answer says this member's swarm protocol: the sender checks it (peer-client.ts).
    const text = JSON.stringify({ ...body, protocol: SWARM_PROTOCOL_VERSION });
    this.bytesOut += Buffer.byteLength(text);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  }
}

function notMember(): SwarmError {
  return new SwarmError(
    'not-member',
    "This member does not know your certificate: it is not a member's key in its ledger. Join with an invitation first.",
  );
}

function joinTooLarge(): SwarmError {
  return new SwarmError(
    'too-large',
    `This member does not know your certificate, and takes only a join request (at most ${MAX_JOIN_BYTES} bytes) ` +
      'from such a caller. Join with an invitation first.',
  );
}

/**
 * The body, at most `limit` bytes; `hold` is told of bytes before they are held (the declared length
 * first, then what arrives beyond it) and may refuse them.
 */
async function readBounded(
  req: IncomingMessage,
  limit: number,
  tooLarge = () => new SwarmError('too-large', `A peer message may be at most ${limit} bytes.`),
  hold: (bytes: number) => void = () => undefined,
): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge();
  let held = Number.isFinite(declared) && declared > 0 ? declared : 0;
  hold(held);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > limit) throw tooLarge();
    if (size > held) {
      hold(size - held);
      held = size;
    }
    parts.push(part);
  }
  return Buffer.concat(parts).toString('utf8');
}
