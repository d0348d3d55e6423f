// The relay that is no member (`radfed relay serve`): a blind mailbox for swarm members that accept no
// inbound connection (`relay+https://host:port/<fingerprint>` in their card). HTTPS with mutual TLS: a
// caller is known by the Ed25519 key of its certificate, which for a member is its swarm signing key,
// checked against the relay's verified copy of each served swarm's ledger (relay-admission.ts). The
// mailbox itself is the one every relay uses (relay-mailbox-store.ts): per-recipient queues, a bound
// on bytes held with 503 + Retry-After past it, a TTL, a small lane for joiners. It holds and forwards
// only ciphertext sealed between members (relay-sealing.ts) and holds no key that opens it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isRadfedError } from '../../../../shared/errors.ts';
import { publicKeyFingerprint } from '../../../../shared/node/federation/index.ts';
import { MutualTlsServer } from '../mutual-tls-server.ts';
import { peerKeyOf, type PeerCertificate } from '../peer-certificate.ts';
import { MailboxStore, RelayError, STRANGERS_SHARE, type MailboxLimits } from '../relay-mailbox-store.ts';
import { relayCardValid, type RelayCard } from './relay-link.ts';
import type { RelayAdmission } from './relay-admission.ts';
import {
  MAX_LEDGER_BODY_BYTES,
  MAX_POLL_BODY_BYTES,
  MAX_SEALED_BODY_BYTES,
  RELAY_PATHS,
} from './relay-protocol.ts';

const memberId = z.string().regex(/^[0-9a-f]{32}$/);
const swarmId = z.string().regex(/^[0-9a-f]{64}$/);
const key = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const pollSchema = z.strictObject({
  swarm: swarmId,
  height: z.number().int().min(0),
  card: z.strictObject({
    signingKey: key,
    exchangeKey: key,
    signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
  }),
});
const ledgerSchema = z.strictObject({ swarm: swarmId, entries: z.array(z.unknown()).max(500) });
const SEALED = /^[A-Za-z0-9_-]+$/;

export interface RelayServerOptions {
  readonly certificate: PeerCertificate;
  /** The fingerprint of the relay's key, which members pin (their address carries it). */
  readonly fingerprint: string;
  readonly admission: RelayAdmission;
  readonly limits?: MailboxLimits;
  readonly logger: Logger;
}

export class RelayServer {
  readonly #server: MutualTlsServer;
  readonly store: MailboxStore;
  /** Mailbox owners' signed exchange keys, for joiners that must seal to a member they have no ledger of. */
  readonly #cards = new Map<string, RelayCard>();
  /** Bytes the relay read from and wrote to its connections (request and answer bodies). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(private readonly options: RelayServerOptions) {
    this.store = new MailboxStore(options.limits);
    this.#server = new MutualTlsServer(options.certificate, (req, res) => this.#serve(req, res), {
      // A sender's request waits for the recipient's answer, up to the mailbox's TTL.
      requestTimeoutMs: this.store.limits.answerTimeoutMs + 60_000,
      // Each connection costs a socket and its buffers: a flood of them is refused at the door.
      maxConnections: 2048,
    });
  }

  get admission(): RelayAdmission {
    return this.options.admission;
  }

  /** True once member `id` has polled here with its signed card (a joiner can then reach it). */
  hasMailbox(id: string): boolean {
    return this.#cards.has(id);
  }

  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return this.#server.listen(port, host);
  }

  async close(): Promise<void> {
    this.store.close();
    await this.#server.close();
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const callerKey = peerKeyOf((req.socket as TLSSocket).getPeerX509Certificate());
      if (callerKey === null)
        throw new RelayError(
          'not-member',
          'This relay answers swarm members only: connect with the certificate RadFed made from your swarm key.',
        );
      const caller = publicKeyFingerprint(callerKey);
      // The share its bodies count against: its own, or, for a key no served swarm knows (anyone can
      // make one), the one all such callers share, so they cannot fill the relay with fresh keys.
      const share = this.options.admission.knows(callerKey) ? caller : STRANGERS_SHARE;
      const path = req.url ?? '';
      if (req.method === 'POST' && path.startsWith(RELAY_PATHS.forward)) {
        const to = memberId.safeParse(path.slice(RELAY_PATHS.forward.length));
        const owner = to.success ? this.options.admission.mailboxOwner(to.data) : null;
        if (!to.success || owner === null)
          throw new RelayError(
            'unknown-member',
            'No member of a swarm this relay serves has a mailbox here under that id.',
          );
        // A sender the copy does not place in the recipient's swarm gets the joiners' small lane only.
        const stranger = this.options.admission.memberIn(owner.swarm, callerKey) === undefined;
        const sealed = stranger
          ? await this.#read(req, share, this.store.limits.maxStrangerBytes, strangerRefusal)
          : await this.#read(req, share, MAX_SEALED_BODY_BYTES);
        if (!SEALED.test(sealed))
          throw new RelayError('bad-request', 'A relayed message is sealed base64url text.');
        const answer = await this.store.post(to.data, caller, sealed, { stranger, share });
        this.#send(res, 200, answer, 'text/plain');
        return;
      }
      if (req.method === 'POST' && path === RELAY_PATHS.poll) {
        const poll = this.#parse(await this.#read(req, share, MAX_POLL_BODY_BYTES), pollSchema, 'a poll');
        if (!this.options.admission.serves(poll.swarm)) throw notServed();
        const member = this.options.admission.memberIn(poll.swarm, callerKey);
        if (member === undefined) {
          // The copy lacks this member's join (or it left): it hands over what the copy lacks, or is refused.
          this.#json(res, 403, {
            ok: false,
            error: 'behind',
            height: this.options.admission.height(poll.swarm),
            message: 'This relay does not know your key as a member of that swarm yet; send it the ledger.',
          });
          return;
        }
        if (!this.options.admission.namesThisRelay(member))
          throw new RelayError(
            'not-member',
            'Your member card does not name this relay; no mailbox is kept for you.',
          );
        if (poll.card.signingKey !== callerKey || !relayCardValid(poll.card, caller))
          throw new RelayError(
            'bad-request',
            'The card in the poll is not signed by the key you connected with.',
          );
        this.#cards.set(caller, poll.card);
        const items = await this.store.collect(caller);
        this.#json(res, 200, { items, height: this.options.admission.height(poll.swarm) });
        return;
      }
      if (req.method === 'POST' && path.startsWith(RELAY_PATHS.reply)) {
        const sealed = await this.#read(req, share, MAX_SEALED_BODY_BYTES);
        if (!SEALED.test(sealed))
          throw new RelayError('bad-request', 'A relayed answer is sealed base64url text.');
        this.store.answer(path.slice(RELAY_PATHS.reply.length), caller, sealed);
        this.#json(res, 200, { ok: true });
        return;
      }
      if (req.method === 'POST' && path === RELAY_PATHS.ledger) {
        const push = this.#parse(
          await this.#read(req, share, MAX_LEDGER_BODY_BYTES),
          ledgerSchema,
          'a ledger page',
        );
        if (!this.options.admission.serves(push.swarm)) throw notServed();
        this.#json(res, 200, { ok: true, height: this.options.admission.accept(push.swarm, push.entries) });
        return;
      }
      if (req.method === 'GET' && path.startsWith(RELAY_PATHS.cards)) {
        const card = this.#cards.get(path.slice(RELAY_PATHS.cards.length));
        if (card === undefined)
          throw new RelayError('unknown-member', 'That member has not collected its messages here yet.');
        this.#json(res, 200, card);
        return;
      }
      throw new RelayError('bad-request', 'Unknown relay route; update RadFed at the calling member.');
    } catch (error) {
      this.#refuse(res, error);
    }
  }

  /**
   * Reads a body of at most `limit` bytes, holding room for it in the mailbox's byte bounds (the
   * relay's and the caller's `share`) as it comes.
   */
  async #read(
    req: IncomingMessage,
    share: string,
    limit: number,
    tooLarge = () =>
      new RelayError('too-large', `This relay takes at most ${limit} bytes in one request here.`),
  ): Promise<string> {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > limit) throw tooLarge();
    let reserved = 0;
    try {
      if (Number.isFinite(declared)) {
        this.store.reserve(declared, share);
        reserved = declared;
      }
      const parts: Buffer[] = [];
      let size = 0;
      for await (const part of req as AsyncIterable<Buffer>) {
        size += part.length;
        if (size > limit) throw tooLarge();
        if (size > reserved) {
          this.store.reserve(size - reserved, share);
          reserved = size;
        }
        parts.push(part);
      }
      this.bytesIn += size;
      return Buffer.concat(parts).toString('utf8');
    } finally {
      this.store.release(reserved, share);
    }
  }

  #parse<T>(text: string, schema: z.ZodType<T>, what: string): T {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RelayError(
        'bad-request',
        `The relay expected ${what} as JSON; update RadFed at the calling member.`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new RelayError(
        'bad-request',
        `The relay could not read ${what}; update RadFed at the calling member.`,
      );
    return parsed.data;
  }

  #refuse(res: ServerResponse, error: unknown): void {
    const known = isRadfedError(error);
    if (!known) this.options.logger.warn({ err: error }, 'relay request failed');
    const code = known ? error.code : 'internal';
    const status: Record<string, number> = {
      'relay-full': 503,
      'sender-full': 503,
      'queue-full': 503,
      'too-large': 413,
      'not-member': 403,
      expired: 504,
      'bad-request': 400,
      'unknown-member': 404,
    };
    const retryAfter = error instanceof RelayError ? error.retryAfterS : undefined;
    if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
    // A refused body may still be arriving: close the connection rather than read it.
    res.setHeader('connection', 'close');
    this.#json(res, known ? (status[code] ?? 409) : 500, {
      ok: false,
      error: code,
      message: known ? error.message : 'The relay failed to handle the request; see its log.',
    });
  }

  #json(res: ServerResponse, status: number, body: object): void {
    this.#send(res, status, JSON.stringify(body), 'application/json');
  }

  #send(res: ServerResponse, status: number, text: string, type: string): void {
    if (res.headersSent || res.destroyed) return;
    const bytes = Buffer.from(text);
    this.bytesOut += bytes.length;
    res.writeHead(status, { 'content-type': type, 'content-length': bytes.length });
    res.end(bytes);
  }
}

function strangerRefusal(): RelayError {
  return new RelayError(
    'not-member',
    'This relay does not know your key as a member of the recipient\u2019s swarm, and takes only a join request ' +
      'from such a sender. If you joined just now, try again in a few seconds.',
  );
}

function notServed(): RelayError {
  return new RelayError(
    'not-member',
    'This relay does not serve that swarm: ask its operator to admit the swarm (radfed relay admit --swarm <id>).',
  );
}
