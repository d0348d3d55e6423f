// A member's side of view changes on the peer network (the rule is in view-change.ts):
// - its watch: once it has signed at a height (or been asked to), it waits `timeoutMs`; if the height
//   has not committed by then (after catching up), it moves on one view at each further timeout, and
//   when it is that view's coordinator it runs the view change itself;
// - as coordinator: statements from every reachable member, the lock they give, and the entry they
//   point at collected again in the new view with the statements attached;
// - as member: it answers a statement request only from the view's coordinator, for its next height.
// A view change starts only when view 0 can no longer finish the height: while a quorum of members has
// signed nothing there, they can still commit a fresh entry (the entry waited on was refused by their
// checks, not split), and binding them to a later view would stop the height for good.
import { z } from 'zod';
import { collectQuorum } from './entry-collection.ts';
import {
  entryHash,
  entrySignatureSchema,
  ledgerEntrySchema,
  viewStatementSchema,
  type SignedEntry,
} from './ledger-entry.ts';
import { findMember, quorumSize, type MemberRecord, type MembershipState } from './membership.ts';
import type { PeerRequest } from './peer-server.ts';
import type { StatementAnswer } from './signing-record.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';
import { authorSignature, freeChoice, viewCoordinator, viewLock, viewStatementValid } from './view-change.ts';

const statementRequestSchema = z.strictObject({
  height: z.number().int().min(0),
  view: z.number().int().min(1).max(1_000_000),
});
const probeRequestSchema = z.strictObject({ height: z.number().int().min(0) });
const statementAnswerSchema = z.strictObject({
  statement: viewStatementSchema,
  entry: ledgerEntrySchema.nullable(),
  authorSignature: entrySignatureSchema.nullable(),
});

export class ViewWatch {
  readonly #timers = new Map<number, NodeJS.Timeout>();
  /** Views this member coordinated, per height, so a timeout does not run one twice. */
  readonly #coordinated = new Set<string>();
  #stopped = false;

  constructor(
    private readonly node: SwarmNode,
    private readonly timeoutMs: number,
  ) {
    node.handlers.set('view-statement', (request) => this.#onStatementRequest(request));
    node.handlers.set('view-probe', (request) => this.#onProbe(request));
  }

  /** Starts the watch of `height` (once): this member signed there, or was asked to. */
  watch(height: number): void {
    if (this.#stopped || this.#timers.has(height)) return;
    this.#schedule(height, 1);
  }

  /** Heights below `nextHeight` committed: their watches end. */
  settled(nextHeight: number): void {
    for (const [height, timer] of this.#timers)
      if (height < nextHeight) {
        clearTimeout(timer);
        this.#timers.delete(height);
      }
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /**
   * Runs the view change at the next height as the coordinator of `view` (by default the view after
   * the one this member moved to). Returns the committed entry, or null when nobody signed anything
   * there (nothing is stalled) or the height committed meanwhile. Throws SwarmError when this member
   * does not coordinate that view, too few members answer, or the statements leave two entries open.
   */
  async changeView(view?: number): Promise<SignedEntry | null> {
    const node = this.node;
    await node.catchUp();
    const state = node.state;
    const height = state.nextHeight;
    const next = view ?? node.ledger.record.promisedView(state.swarmId, height) + 1;
    const coordinator = viewCoordinator(state, next);
    if (coordinator !== node.id)
      throw new SwarmError(
        'bad-view-change',
        `Member ${coordinator.slice(0, 8)} coordinates view ${next} at height ${height}, not this member.`,
      );
    this.#coordinated.add(`${height}:${next}`);
    const quorum = quorumSize(state.members.length, state.quorumRule);
    const probes = await Promise.allSettled(
      node.peers().map((peer) => node.client.send(peer, state.swarmId, 'view-probe', { height })),
    );
    const free =
      probes.filter((p) => p.status === 'fulfilled' && (p.value as { free?: unknown } | null)?.free === true)
        .length + (this.#free() ? 1 : 0);
    if (free >= quorum) {
      node.logger.info({ height, free }, 'swarm height can still commit in view 0; no view change');
      return null;
    }
    const answers = await Promise.allSettled(
      node
        .peers()
        .map(async (peer) =>
          checkedAnswer(
            peer,
            state,
            await node.client.send(peer, state.swarmId, 'view-statement', { height, view: next }),
          ),
        ),
    );
    if (answers.some((a) => a.status === 'rejected')) {
      // A member that refused may hold the height committed already: take it from whoever has it.
      await node.catchUp();
      if (node.state.nextHeight > height) return null;
    }
    const answered = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    // This member moves last, and only when a quorum can: a proposer alone (the others down) keeps
    // proposing its entry in view 0, as before views, instead of promising a view nobody else reached.
    if (answered.length + 1 < quorum)
      throw new SwarmError(
        'quorum-short',
        `Only ${answered.length + 1} of ${state.members.length} members moved to view ${next} at height ${height} (the swarm needs ${quorum}); the view change waits for more.`,
      );
    const own = node.ledger.moveToView(next, { id: node.id, privateKey: node.identity.signingKey });
    const held = [own, ...answered].filter(
      (answer) =>
        answer.statement.height === height &&
        answer.statement.view === next &&
        answer.statement.previous === state.tipHash,
    );
    const statements = held.map((answer) => answer.statement);
    if (statements.length < quorum)
      throw new SwarmError(
        'quorum-short',
        `Only ${statements.length} of ${state.members.length} members moved to view ${next} at height ${height} (the swarm needs ${quorum}); the view change waits for more.`,
      );
    const lock = viewLock(statements, state.members.length, quorum);
    if (lock.kind === 'ambiguous')
      throw new SwarmError(
        'quorum-short',
        `At height ${height}, ${lock.entries.length} entries could have committed by what the members who answered say; the view change waits for the others.`,
      );
    const finishable = held.filter((answer) => answer.entry !== null && answer.authorSignature !== null);
    const target = lock.kind === 'locked' ? lock.entry : freeChoice(finishable.map((a) => a.statement));
    if (target === null) return null;
    const source = finishable.find((answer) => answer.statement.last?.entry === target);
    if (source?.entry == null || source.authorSignature === null)
      throw new SwarmError(
        'quorum-short',
        `No member that answered holds the entry to finish at height ${height}; the view change waits.`,
      );
    node.logger.info({ height, view: next, lock: lock.kind }, 'swarm view change: finishing an entry');
    return collectQuorum(node, source.entry, {
      view: next,
      authorSignature: source.authorSignature,
      viewChange: { view: next, statements },
    });
  }

  #schedule(height: number, tries: number): void {
    const timer = setTimeout(() => void this.#expired(height, tries), this.timeoutMs);
    timer.unref();
    this.#timers.set(height, timer);
  }

  /** The `tries`-th timeout at `height`: catch up, and run the view change when it is this member's. */
  async #expired(height: number, tries: number): Promise<void> {
    this.#timers.delete(height);
    if (this.#stopped) return;
    try {
      await this.node.catchUp();
      if (this.#stopped || this.node.state.nextHeight !== height) return;
      const state = this.node.state;
      const view = Math.max(this.node.ledger.record.promisedView(state.swarmId, height), tries);
      if (viewCoordinator(state, view) === this.node.id && !this.#coordinated.has(`${height}:${view}`))
        await this.changeView(view);
    } catch (error) {
      this.node.logger.warn({ err: error, height }, 'swarm view change did not finish; trying the next view');
    }
    if (!this.#stopped && this.node.state.nextHeight === height && !this.#timers.has(height))
      this.#schedule(height, tries + 1);
  }

  /** True while this member signed nothing at its next height and moved to no view there. */
  #free(): boolean {
    const state = this.node.state;
    const record = this.node.ledger.record;
    return (
      record.signedAt(state.swarmId, state.nextHeight).length === 0 &&
      record.promisedView(state.swarmId, state.nextHeight) === 0
    );
  }

  async #onProbe(request: PeerRequest): Promise<{ free: boolean }> {
    const parsed = probeRequestSchema.safeParse(request.envelope.body);
    if (!parsed.success) throw new SwarmError('bad-message', 'A view probe is malformed.');
    const { height } = parsed.data;
    if (height > this.node.state.nextHeight) {
      const sender = findMember(this.node.state, request.envelope.from);
      if (sender) await this.node.catchUp(sender);
    }
    if (height < this.node.state.nextHeight)
      throw new SwarmError(
        'view-passed',
        `Height ${height} is committed in this member's ledger; fetch it from there.`,
      );
    return { free: height === this.node.state.nextHeight && this.#free() };
  }

  async #onStatementRequest(request: PeerRequest): Promise<StatementAnswer> {
    const parsed = statementRequestSchema.safeParse(request.envelope.body);
    if (!parsed.success) throw new SwarmError('bad-message', 'A view statement request is malformed.');
    const { height, view } = parsed.data;
    const node = this.node;
    if (height > node.state.nextHeight) {
      const sender = findMember(node.state, request.envelope.from);
      if (sender) await node.catchUp(sender);
    }
    const state = node.state;
    if (height < state.nextHeight)
      throw new SwarmError(
        'view-passed',
        `Height ${height} is committed in this member's ledger; fetch it from there.`,
      );
    if (viewCoordinator(state, view) !== request.envelope.from)
      throw new SwarmError('not-member', `The caller does not coordinate view ${view} at height ${height}.`);
    this.watch(height);
    return node.ledger.moveToView(view, { id: node.id, privateKey: node.identity.signingKey });
  }
}

/**
 * A peer's statement answer, checked: its own statement for this swarm, signed by it, and the entry it
 * names with that entry's author's signature (dropped when it does not verify: the entry cannot be
 * finished from this answer, but the statement still counts).
 */
function checkedAnswer(peer: MemberRecord, state: MembershipState, value: unknown): StatementAnswer {
  const parsed = statementAnswerSchema.safeParse(value);
  if (
    !parsed.success ||
    parsed.data.statement.member !== peer.id ||
    !viewStatementValid(parsed.data.statement, state.swarmId, peer.signingKey)
  )
    throw new SwarmError(
      'bad-message',
      `Member ${peer.id.slice(0, 8)} sent a view statement that does not verify.`,
    );
  const { statement, entry, authorSignature: author } = parsed.data;
  if (entry === null) return { statement, entry: null, authorSignature: null };
  const hash = entryHash(entry);
  if (statement.last?.entry !== hash)
    throw new SwarmError(
      'bad-message',
      `Member ${peer.id.slice(0, 8)} sent an entry its statement does not name.`,
    );
  const authorKey = findMember(state, entry.proposer)?.signingKey;
  const verified = author && authorKey ? authorSignature(entry, hash, [author], authorKey) : null;
  return { statement, entry, authorSignature: verified };
}
