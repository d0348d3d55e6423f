// One member on the peer network: its ledger, its HTTPS server and client, and the things the network
// does to the ledger, each in its own file: proposing and countersigning (entry-collection.ts),
// keeping copies level (ledger-sync.ts), joining by invitation (swarm-joining.ts), and moving a height
// that stalled to its next view (view-watch.ts). Rounds build on this (swarm-rounds.ts).
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { canonicalJson } from '../../../shared/federation/index.ts';
import type { VerifiedEntry } from './chain-verification.ts';
import { answerCountersign, collectQuorum } from './entry-collection.ts';
import { genesisEntry, memberCardOf, proposeEntry, type SwarmSiteIdentity } from './founding.ts';
import { InvitationBook } from './invitation-book.ts';
import type { EntryBody, MemberCard, QuorumRule, SignedEntry } from './ledger-entry.ts';
import { broadcastEntries, catchUpFrom, serveLedgerSync } from './ledger-sync.ts';
import { findMember, type MembershipState, type MemberRecord } from './membership.ts';
import { makePeerCertificate, type PeerCertificate } from './peer-certificate.ts';
import { PeerClient } from './peer-client.ts';
import { PeerServer, type MessageHandler } from './peer-server.ts';
import { RelayInbox } from './relay-inbox.ts';
import { RelayMailbox } from './relay-mailbox.ts';
import { isRelayedAddress } from './relay-sealing.ts';
import { SwarmError } from './swarm-error.ts';
import { joinByInvitation, serveJoins } from './swarm-joining.ts';
import { SwarmLedger } from './swarm-ledger.ts';
import { ViewWatch } from './view-watch.ts';

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
    this.handlers.set('countersign', (request) => answerCountersign(this, request));
    serveLedgerSync(this);
    serveJoins(this);
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
  join(token: string): Promise<string> {
    return joinByInvitation(this, token);
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
  broadcast(entries: readonly SignedEntry[]): Promise<void> {
    return broadcastEntries(this, entries);
  }

  /** Pulls entries this member lacks from `from`, or from the first peer that has them. */
  catchUp(from?: Pick<MemberRecord, 'id' | 'address' | 'signingKey'>): Promise<void> {
    return catchUpFrom(this, from ? [from] : this.peers());
  }

  /** This member's clock (the envelope window and `proposedAt`; nothing is decided on it). */
  now(): Date {
    return this.clock();
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
}
