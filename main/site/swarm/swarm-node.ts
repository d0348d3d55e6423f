// One member on the peer network: its ledger, its HTTPS server and client, and the three things the
// network does to the ledger. Proposing: the member signs an entry through its signing record, asks
// every other member to countersign it, and commits it once a quorum has (entry-collection.ts).
// Catching up: a member that is behind (it was down, or a proposal names a height it lacks) pulls the
// missing pages from a peer and verifies them like any chain. Changing view: a height that stalled
// (split votes, a proposer gone after its quorum) moves on (view-watch.ts). Rounds build on this
// (swarm-rounds.ts).
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { genesisEntry, joinEntryFor, makeJoinRequest, memberCardOf, proposeEntry } from './founding.ts';
import type { SwarmSiteIdentity } from './founding.ts';
import { verifyChain, type VerifiedEntry } from './chain-verification.ts';
import { canonicalJson } from '../../../shared/federation/index.ts';
import { collectQuorum, countersignRequestSchema } from './entry-collection.ts';
import { InvitationBook } from './invitation-book.ts';
import { parseSwarmInvitation } from './invitation-token.ts';
import {
  memberCardSchema,
  type EntryBody,
  type EntrySignature,
  type MemberCard,
  type QuorumRule,
  type SignedEntry,
} from './ledger-entry.ts';
import { findMember, type MembershipState, type MemberRecord } from './membership.ts';
import { makePeerCertificate, type PeerCertificate } from './peer-certificate.ts';
import { PeerClient } from './peer-client.ts';
import { PeerServer, type MessageHandler, type PeerRequest } from './peer-server.ts';
import { RelayInbox } from './relay-inbox.ts';
import { RelayMailbox } from './relay-mailbox.ts';
import { isRelayedAddress } from './relay-sealing.ts';
import { SwarmError } from './swarm-error.ts';
import { SwarmLedger } from './swarm-ledger.ts';
import { viewCoordinator } from './view-change.ts';
import { ViewWatch } from './view-watch.ts';

const PAGE = 500;
const joinRequestSchema = z.strictObject({
  swarm: z.string().regex(/^[0-9a-f]{64}$/),
  member: memberCardSchema,
  invitation: z.string().regex(/^[0-9a-f]{32}$/),
  secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});

export interface SwarmNodeOptions {
  readonly dbPath: string;
  readonly name: string;
  readonly signingKey: KeyObject;
  readonly signingPublicKey: string;
  readonly exchangePublicKey: string;
  readonly logger: Logger;
  readonly host?: string;
  readonly port?: number;
  /** The address peers dial, when it is not https://host:port (a NAT or a relay). */
  readonly advertise?: string;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
  /** The X25519 key that opens relayed messages; needed when `advertise` is a relay:// address. */
  readonly exchangePrivateKey?: KeyObject;
  /**
   * How long a height this member signed at may stay uncommitted before it moves to the next view
   * (view-watch.ts); twice `timeoutMs` by default, so a proposer waiting on an unreachable member is
   * not overtaken.
   */
  readonly viewTimeoutMs?: number;
}

export class SwarmNode {
  readonly handlers = new Map<string, MessageHandler>();
  /** Models this member holds, by SHA-256 (served to peers by range). */
  readonly models = new Map<string, Buffer>();
  /** Heights that stall move to the next view. */
  readonly views: ViewWatch;
  /** Behind NAT: the loop that collects this member's messages from its relay. */
  #inbox: RelayInbox | null = null;

  private constructor(
    readonly ledger: SwarmLedger,
    readonly identity: SwarmSiteIdentity,
    readonly certificate: PeerCertificate,
    readonly server: PeerServer,
    readonly client: PeerClient,
    readonly logger: Logger,
    private readonly clock: () => Date,
    viewTimeoutMs: number,
  ) {
    this.views = new ViewWatch(this, viewTimeoutMs);
    this.handlers.set('countersign', (request) => this.#onCountersign(request));
    this.handlers.set('entries', (request) => this.#onEntries(request));
    this.handlers.set('ledger', (request) => Promise.resolve(this.#onLedger(request)));
    this.handlers.set('join', (request) => this.#onJoin(request));
  }

  static async start(options: SwarmNodeOptions): Promise<SwarmNode> {
    const ledger = SwarmLedger.open(options.dbPath);
    const certificate = await makePeerCertificate(options.signingKey, { name: options.name });
    const clock = options.now ?? (() => new Date());
    const id = memberCardOf({ ...options, address: 'https://pending' }).id;
    // The server is made before the node (the node's address needs the port); it finds the node here.
    const late: { node?: SwarmNode } = {};
    const server = new PeerServer({
      certificate,
      ownId: () => id,
      state: () => ledger.state,
      handler: (kind) => late.node?.handlers.get(kind),
      model: (hash) => late.node?.models.get(hash) ?? null,
      logger: options.logger,
      now: () => clock().getTime(),
    });
    const host = options.host ?? '127.0.0.1';
    const port = await server.listen(options.port ?? 0, host);
    const identity: SwarmSiteIdentity = {
      name: options.name,
      address: options.advertise ?? `https://${host}:${port}`,
      signingKey: options.signingKey,
      signingPublicKey: options.signingPublicKey,
      exchangePublicKey: options.exchangePublicKey,
    };
    const client = new PeerClient({
      certificate,
      signingKey: options.signingKey,
      ownId: id,
      timeoutMs: options.timeoutMs ?? 30_000,
      now: () => clock().getTime(),
    });
    client.directory = {
      member: (memberId) => (ledger.state ? findMember(ledger.state, memberId) : undefined),
      swarmId: () => ledger.state?.swarmId ?? null,
    };
    const timeoutMs = options.timeoutMs ?? 30_000;
    const node = new SwarmNode(
      ledger,
      identity,
      certificate,
      server,
      client,
      options.logger,
      clock,
      options.viewTimeoutMs ?? 2 * timeoutMs,
    );
    late.node = node;
    // Any member with an address of its own can relay for members that name it; one behind NAT polls.
    new RelayMailbox(node);
    if (isRelayedAddress(identity.address)) {
      if (!options.exchangePrivateKey)
        throw new SwarmError(
          'bad-message',
          'A member reached through a relay needs its exchange key to open its messages.',
        );
      node.#inbox = new RelayInbox(node, options.exchangePrivateKey);
    }
    return node;
  }

  get id(): string {
    return memberCardOf(this.identity).id;
  }

  /** This member's card, as peers reach it. */
  get card(): MemberCard {
    return memberCardOf(this.identity);
  }

  get state(): MembershipState {
    const state = this.ledger.state;
    if (state === null)
      throw new SwarmError('not-founded', 'This site is in no swarm yet: found one or join one.');
    return state;
  }

  /** Other members of the swarm, in member order. */
  peers(): MemberRecord[] {
    return this.state.members.filter((member) => member.id !== this.id);
  }

  async stop(): Promise<void> {
    this.views.stop();
    await this.#inbox?.stop();
    await this.server.close();
    this.ledger.close();
  }

  /** Founds a swarm with this member alone; returns the swarm's id. */
  found(name: string, quorumRule: QuorumRule = 'majority'): string {
    const entry = genesisEntry(this.identity, { name, quorumRule, now: this.clock() });
    const signature = this.ledger.countersign(entry, { id: this.id, privateKey: this.identity.signingKey });
    this.ledger.append([{ entry, signatures: [signature] }]);
    return this.state.swarmId;
  }

  invite(validForDays?: number): string {
    return new InvitationBook(this.ledger.db).issue({
      swarmId: this.state.swarmId,
      inviterAddress: this.identity.address,
      inviterKeyFingerprint: this.id,
      now: this.clock(),
      ...(validForDays === undefined ? {} : { validForDays }),
    });
  }

  /** Joins with an invitation: the inviter proposes the join; this member checks and keeps the ledger. */
  async join(token: string): Promise<string> {
    const invitation = parseSwarmInvitation(token);
    const request = makeJoinRequest(invitation, this.identity);
    const target = { id: invitation.inviterKeyFingerprint, address: invitation.inviterAddress };
    const page = await this.client.send(target, invitation.swarmId, 'join', request);
    if (!Array.isArray(page)) throw new SwarmError('bad-message', 'The inviting member sent no ledger.');
    // The first page must begin at the genesis the invitation pins; a longer ledger is fetched on from
    // the inviter, and only then must it admit this site and hold the inviter's key.
    verifyChain(null, page, { swarmId: invitation.swarmId });
    this.storeEntries(page);
    const inviter = this.state.members.find((member) => member.id === invitation.inviterKeyFingerprint);
    if (inviter) await this.catchUp(inviter);
    const admitted = this.state.members.some((member) => member.id === this.id);
    if (inviter === undefined || !admitted)
      throw new SwarmError(
        'bad-invitation',
        'The ledger the inviting member sent does not admit this site, or does not hold the inviter from the invitation.',
      );
    return invitation.swarmId;
  }

  /**
   * Proposes `body` at the next height and commits it once a quorum countersigned. An entry this member
   * proposed earlier at that height and never saw commit (kept in its signing record, so also after a
   * restart) is proposed again first: signing another would break its own signing record. Throws
   * SwarmError('quorum-short') when too few members answer: nothing is committed, and the same entry is
   * proposed again next time (or finished by a view change, view-watch.ts).
   */
  async propose(body: EntryBody): Promise<SignedEntry> {
    await this.catchUp();
    const pending = this.ledger.ownPending(this.id);
    if (pending !== null) {
      const committed = await collectQuorum(this, pending);
      if (canonicalJson(pending.body) === canonicalJson(body)) return committed;
    }
    return collectQuorum(this, proposeEntry(this.state, this.id, body, this.clock()));
  }

  /** Sends committed entries to every other member (best effort: a member that missed them catches up). */
  async broadcast(entries: readonly SignedEntry[]): Promise<void> {
    const swarm = this.state.swarmId;
    const send = (peer: MemberRecord) => this.client.send(peer, swarm, 'entries', { entries });
    // A member behind a relay gets its copy when it next polls (a joiner only once it holds the
    // ledger): not waited for, so a proposal's answer does not wait on it.
    for (const peer of this.peers().filter((p) => isRelayedAddress(p.address)))
      send(peer).catch((error: unknown) => this.logger.debug({ err: error }, 'relayed broadcast failed'));
    await Promise.allSettled(
      this.peers()
        .filter((p) => !isRelayedAddress(p.address))
        .map(send),
    );
  }

  /** Pulls entries this member lacks from the first peer that has them. */
  async catchUp(from?: Pick<MemberRecord, 'id' | 'address' | 'signingKey'>): Promise<void> {
    const peers = from ? [from] : this.peers();
    for (const peer of peers) {
      try {
        for (;;) {
          const next = this.state.nextHeight;
          const page = await this.client.send(peer, this.state.swarmId, 'ledger', {
            from: next,
            limit: PAGE,
          });
          if (!Array.isArray(page) || page.length === 0) break;
          this.storeEntries(page);
          if (page.length < PAGE) break;
        }
      } catch (error) {
        this.logger.debug({ err: error }, 'catching up from a peer failed; trying the next');
      }
    }
  }

  async #onCountersign(request: PeerRequest): Promise<EntrySignature> {
    const parsed = countersignRequestSchema.safeParse(request.envelope.body);
    if (!parsed.success) throw new SwarmError('bad-message', 'A countersign request is malformed.');
    const { entry, view, authorSignature, viewChange } = parsed.data;
    const height = (entry as { height?: unknown } | null)?.height;
    // A proposal above this member's tip: it missed entries (it was down); fetch them from the proposer.
    if (typeof height === 'number' && height > this.state.nextHeight) {
      const sender = findMember(this.state, request.envelope.from);
      if (sender) await this.catchUp(sender);
    }
    if (height === this.state.nextHeight) this.views.watch(height);
    // In a view above 0 only its coordinator proposes: two proposals in one view could split it again.
    if (view !== undefined && viewCoordinator(this.state, view) !== request.envelope.from)
      throw new SwarmError('not-member', `The caller does not coordinate view ${view} at this height.`);
    const check = this.countersignCheck;
    if (check) await check(entry);
    return this.ledger.countersign(
      entry,
      { id: this.id, privateKey: this.identity.signingKey },
      {
        ...(view === undefined ? {} : { view }),
        ...(authorSignature === undefined ? {} : { authorSignature }),
        ...(viewChange === undefined ? {} : { viewChange }),
      },
    );
  }

  /** A further check before countersigning (the round's: reveals seen, aggregates verified). */
  countersignCheck: ((entry: unknown) => Promise<void>) | null = null;
  /** Called with entries as this member stores them (the rounds watch for seeds and aggregates). */
  onStored: ((entries: readonly VerifiedEntry[]) => void) | null = null;

  /** Appends through the ledger, ends the view watches of committed heights and tells `onStored` what was new. */
  storeEntries(entries: readonly unknown[]): void {
    const stored = this.ledger.append(entries);
    if (stored.length > 0) {
      this.views.settled(this.state.nextHeight);
      this.onStored?.(stored);
    }
  }

  async #onEntries(request: PeerRequest): Promise<null> {
    const entries = (request.envelope.body as { entries?: unknown } | null)?.entries;
    if (!Array.isArray(entries))
      throw new SwarmError('bad-message', 'An entries message holds a list of entries.');
    const first = (entries[0] as { entry?: { height?: number } } | undefined)?.entry?.height ?? 0;
    if (first > this.state.nextHeight) {
      const sender = findMember(this.state, request.envelope.from);
      if (sender) await this.catchUp(sender);
    }
    this.storeEntries(entries);
    return null;
  }

  #onLedger(request: PeerRequest): SignedEntry[] {
    const body = z
      .strictObject({ from: z.number().int().min(0), limit: z.number().int().min(1).max(PAGE) })
      .parse(request.envelope.body);
    return this.ledger.entries(body.from, body.limit);
  }

  async #onJoin(request: PeerRequest): Promise<SignedEntry[]> {
    const parsed = joinRequestSchema.safeParse(request.envelope.body);
    if (!parsed.success) throw new SwarmError('bad-message', 'The join request is malformed. Update RadFed.');
    const join = parsed.data;
    if (join.member.signingKey !== request.senderKey || join.member.id !== request.envelope.from)
      throw new SwarmError(
        'not-member',
        'The join request names another key than the certificate it came with.',
      );
    const book = new InvitationBook(this.ledger.db);
    await this.catchUp();
    const entry = joinEntryFor(this.state, book, join, this.id, this.clock());
    await collectQuorum(this, entry);
    return this.ledger.entries(0, PAGE);
  }
}
