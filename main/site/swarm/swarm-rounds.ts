// The rounds of a swarm, on the peer network, decided by the ledger:
// 1. any member starts round r: it asks every member for a signed nonce commit and proposes the
//    round-start entry, then asks for the reveals and proposes the round-seed entry, whose seed fixes
//    the leader order (leader-election.ts);
// 2. every member watches the seed: the first in the order leads at once; the k-th leads if no
//    aggregate for r is in its ledger k leader timeouts after it saw the seed, so when a leader dies
//    (even by kill -9) the next finishes the round from what the ledger says, with no coordinator;
// 3. the leader runs secure aggregation in the hub's role (round-secagg-leader.ts), combines the sum
//    with the task's method record, and proposes the aggregate-commit entry with the model's SHA-256;
//    a member fetches the model from the leader and checks the hash before it countersigns, and again
//    before it trains on it.
import {
  combineSum,
  encodeWeights,
  federationMethod,
  type NamedTensor,
  type Strategy,
  type WeightSet,
} from '../../../shared/federation/index.ts';
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import type { VerifiedEntry } from './chain-verification.ts';
import type { RoundReveal } from './leader-election.ts';
import { RoundNonces } from './round-nonces.ts';
import { RoundSecretStore } from './round-secret-store.ts';
import type { RoundCommit } from './ledger-entry.ts';
import { findMember } from './membership.ts';
import { leadSecureAggregation, type LeaderAggregation } from './round-secagg-leader.ts';
import { leastParticipants, type PlanRefusal } from './round-plan-check.ts';
import { RoundSecAggMember, type MemberUpdate } from './round-secagg-member.ts';
import { recordPlanRefused, type PlanRefusalAudit } from './plan-refusal-audit.ts';
import { reviewRoundEntry } from './round-review.ts';
import { SwarmError } from './swarm-error.ts';
import {
  assertMemberBudgetAllows,
  memberPrivacySpent,
  noiseSwarmUpdate,
  swarmEpsilonForRound,
} from './swarm-privacy.ts';
import type { SwarmNode } from './swarm-node.ts';
import { swarmTaskHash, verifiedModel, type SwarmTask } from './swarm-task.ts';

export interface RoundOutcome {
  readonly round: number;
  readonly leader: string;
  readonly model: string;
  readonly participants: readonly string[];
  readonly height: number;
}

export interface SwarmRoundsOptions {
  readonly task: SwarmTask;
  readonly initialModel: Uint8Array;
  /** This member's local training from `global`: the change it made and its example count. */
  readonly train: (global: WeightSet, round: number) => Promise<MemberUpdate>;
  /** The method that turns the sum into the next model (its combine step must take a sum); swarm's by default. */
  readonly strategy?: Strategy;
  /** Test and demo seams: after the leader has the sum, before it proposes the aggregate. */
  readonly beforeAggregateCommit?: (round: number) => Promise<void>;
  /** What the leader saw of each member (the uniformity test reads it). */
  readonly onLeaderSaw?: (round: number, aggregation: LeaderAggregation) => void;
  /** Each start of a round, as its seed is stored while the round is open (`swarm serve` tells of it). */
  readonly onSeeded?: (seed: { round: number; attempt: number; order: readonly string[] }) => void;
  /**
   * The site's audit log, where a refused leader's plan is recorded, and the account the member runs
   * as (unattended work is recorded under it); absent in a folder that holds no site.
   */
  readonly audit?: PlanRefusalAudit;
  /** A leader's plan this member refused, after it is logged and audited (`swarm serve` tells of it). */
  readonly onPlanRefused?: (refusal: PlanRefusal) => void;
}

export class SwarmRounds {
  readonly taskHash: string;
  readonly member: RoundSecAggMember;
  readonly #nonces: RoundNonces;
  /** When this member saw each round's seed (its own clock: timeouts are local, never in the ledger). */
  readonly #seedSeenAt = new Map<number, number>();
  readonly #updates = new Map<number, Promise<MemberUpdate>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;
  /** The error of this member's last attempt to lead, for the CLI and the tests. */
  lastLeadError: Error | null = null;
  /** Milliseconds of this member's last merge as leader: secure aggregation to committed aggregate. */
  lastMergeMs: number | null = null;

  constructor(
    readonly node: SwarmNode,
    private readonly options: SwarmRoundsOptions,
  ) {
    this.taskHash = swarmTaskHash(options.task);
    // Kept sealed in swarm.db until the round commits: a restarted member rejoins its round.
    const kept = new RoundSecretStore(node.ledger.db, node.identity.signingKey, () => node.state.swarmId);
    this.#nonces = new RoundNonces(node, this.taskHash, kept);
    node.models.set(options.task.initialModel, Buffer.from(options.initialModel));
    verifiedModel(options.initialModel, options.task.initialModel);
    this.member = new RoundSecAggMember(
      node.id,
      () => node.state,
      (round) => this.#update(round),
      kept,
      {
        task: options.task,
        signingKey: node.identity.signingKey,
        onPlanRefused: (refusal) => this.#planRefused(refusal),
      },
    );
    const on = (kind: string, handle: (from: string, body: unknown) => unknown) =>
      node.handlers.set(kind, (request) =>
        Promise.resolve(handle(request.envelope.from, request.envelope.body)),
      );
    on('round-commit', async (from, body) => {
      // The starter saw the last aggregate before this member did (its broadcast is on the way): catch up.
      const round = (body as { round?: unknown } | null)?.round;
      if (typeof round === 'number' && round > node.state.lastCommittedRound + 1) {
        const sender = findMember(node.state, from);
        if (sender) await node.catchUp(sender);
      }
      return this.#nonces.commit(body);
    });
    on('round-reveal', (_from, body) => this.#nonces.reveal(body));
    on('secagg-keys', (from, body) => {
      this.#checkTurn(from, body);
      return this.member.keys(from, body);
    });
    on('secagg-shares', (from, body) => this.member.shares(from, body));
    on('secagg-mask', (from, body) => this.member.mask(from, body));
    on('secagg-unmask', (from, body) => this.member.unmask(from, body));
    node.countersignCheck = (entry) =>
      reviewRoundEntry(entry, {
        node,
        task: options.task,
        taskHash: this.taskHash,
        revealsSeen: (round) => this.#nonces.seen(round),
        globalModel: () => this.globalModel(),
      });
    node.onStored = (entries) => this.#watch(entries);
  }

  /** Stops watching rounds (before the node stops: no timer may read a closed ledger). */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Starts the next round: commits, then reveals, each in a committed entry. Returns its number. */
  async startRound(): Promise<number> {
    await this.node.catchUp();
    const state = this.node.state;
    const round = state.lastCommittedRound + 1;
    const members = state.members;
    const answers = await Promise.allSettled(
      members.map((m) =>
        m.id === this.node.id
          ? Promise.resolve(this.#nonces.commit({ round, task: this.taskHash }))
          : this.node.client.send(m, state.swarmId, 'round-commit', { round, task: this.taskHash }),
      ),
    );
    const commits = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value as RoundCommit] : []));
    await this.node.propose({ kind: 'round-start', round, task: this.taskHash, commits });
    const reveals = await Promise.allSettled(
      members.map((m) =>
        m.id === this.node.id
          ? Promise.resolve(this.#nonces.reveal({ round }))
          : this.node.client.send(m, state.swarmId, 'round-reveal', { round }),
      ),
    );
    const revealed = reveals.flatMap((a) => (a.status === 'fulfilled' ? [a.value as RoundReveal] : []));
    await this.node.propose({ kind: 'round-seed', round, reveals: revealed });
    return round;
  }

  /** Resolves when round `round`'s aggregate is in this member's ledger. */
  async waitForRound(round: number, timeoutMs: number): Promise<RoundOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#stopped)
        throw new SwarmError('round-failed', 'This member stopped before the round committed.');
      const outcome = this.outcome(round);
      if (outcome) return outcome;
      if (Date.now() > deadline)
        throw new SwarmError(
          'round-failed',
          `Round ${round} did not commit an aggregate within ${timeoutMs / 1000} s.`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The committed aggregate of `round`, read from the ledger. */
  outcome(round: number): RoundOutcome | null {
    for (const signed of this.node.ledger.entries(0, 100_000).reverse()) {
      const body = signed.entry.body;
      if (body.kind === 'aggregate-commit' && body.round === round)
        return {
          round,
          leader: body.leader,
          model: body.model,
          participants: body.participants,
          height: signed.entry.height,
        };
    }
    return null;
  }

  /** The current global model, verified against the ledger's hash (fetched from its leader if needed). */
  async globalModel(): Promise<{ hash: string; weights: NamedTensor[] }> {
    const last = this.node.state.lastCommittedRound;
    const outcome = last === 0 ? null : this.outcome(last);
    const hash = outcome?.model ?? this.options.task.initialModel;
    let bytes = this.node.models.get(hash);
    if (bytes === undefined) {
      // Its leader first; a leader that died after its commit leaves the model with the members that
      // checked it before countersigning.
      const leader = outcome ? findMember(this.node.state, outcome.leader) : undefined;
      const holders = [...(leader ? [leader] : []), ...this.node.peers().filter((p) => p.id !== leader?.id)];
      for (const holder of holders) {
        try {
          bytes = await this.node.client.fetchModel(holder, hash);
          verifiedModel(bytes, hash);
          break;
        } catch (error) {
          bytes = undefined;
          this.node.logger.debug({ err: error }, 'fetching the global model from a member failed');
        }
      }
      if (bytes === undefined)
        throw new SwarmError(
          'model-mismatch',
          'No reachable member holds the current model; try again later.',
        );
      this.node.models.set(hash, bytes);
    }
    return { hash, weights: verifiedModel(bytes, hash) };
  }

  /** A member answers a successor only once the leaders before it have had their time, by its own clock. */
  #checkTurn(leader: string, body: unknown): void {
    const round = (body as { round?: unknown }).round as number;
    const order = this.node.state.openRound?.seed?.order ?? [];
    const seen = this.#seedSeenAt.get(round);
    const position = order.indexOf(leader);
    // 0.9: the successor's clock started when it saw the seed, a few milliseconds before or after this one's.
    const turnAt = 0.9 * position * this.options.task.leaderTimeoutMs;
    if (position > 0 && (seen === undefined || Date.now() - seen < turnAt))
      throw new SwarmError(
        'round-failed',
        `It is not yet member ${leader.slice(0, 8)}'s turn to lead round ${round}.`,
      );
  }

  /** A refused plan in the log, the site's audit log and to the operator; none may stop the refusal. */
  #planRefused(refusal: PlanRefusal): void {
    const { round, attempt, leader, field, planned, expected, sentence } = refusal;
    this.node.logger.warn({ round, attempt, leader: leader.slice(0, 8), field, planned, expected }, sentence);
    try {
      if (this.options.audit) recordPlanRefused(this.options.audit, refusal);
      this.options.onPlanRefused?.(refusal);
    } catch (error) {
      this.node.logger.warn({ err: error }, 'recording a refused round plan failed; the plan was refused');
    }
  }

  #update(round: number): Promise<MemberUpdate> {
    let update = this.#updates.get(round);
    if (update === undefined) {
      update = this.globalModel().then(async ({ weights }) => {
        const task = this.options.task;
        if (task.differentialPrivacy) {
          const spent = memberPrivacySpent(task, this.node.ledger.entries(0, 100_000), this.node.id);
          assertMemberBudgetAllows(task, spent.rounds);
        }
        const trained = await this.options.train(weights, round);
        if (!task.differentialPrivacy) return trained;
        // Clipped and noised before masking; weight 1, so one member moves the sum by at most C.
        return { delta: noiseSwarmUpdate(trained.delta, task).delta, examples: 1 };
      });
      this.#updates.set(round, update);
      update.catch(() => this.#updates.delete(round));
    }
    return update;
  }

  #watch(entries: readonly VerifiedEntry[]): void {
    for (const { signed } of entries) {
      const body = signed.entry.body;
      if (body.kind === 'aggregate-commit') {
        this.member.forgetBefore(body.round + 1);
        for (const round of this.#updates.keys()) if (round <= body.round) this.#updates.delete(round);
      }
      // A stalled round started again: attempts of its earlier start that never masked are dropped.
      if (body.kind === 'round-start') this.member.restarted(body.round);
      if (body.kind !== 'round-seed') continue;
      const open = this.node.state.openRound;
      const order = open?.seed?.order ?? [];
      this.#seedSeenAt.set(body.round, Date.now());
      if (open?.round === body.round && open.seed)
        this.options.onSeeded?.({ round: body.round, attempt: open.attempt, order });
      const position = order.indexOf(this.node.id);
      if (position < 0 || !open) continue;
      if (this.#stopped) return;
      // A turn belongs to this start of the round: a start again has its own order and turns.
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#stopped && this.outcome(body.round) === null)
          void this.#lead(body.round, open.startedAt, position);
      }, position * this.options.task.leaderTimeoutMs);
      this.#timers.add(timer);
    }
  }

  /**
   * Leads `round`, in its start at ledger height `startedAt`, as the `position`-th in that start's
   * order; the members before it are taken as failed.
   */
  async #lead(round: number, startedAt: number, position: number): Promise<void> {
    const started = performance.now();
    try {
      const state = this.node.state;
      const seed = state.openRound?.seed;
      if (state.openRound?.round !== round || state.openRound.startedAt !== startedAt || !seed) return;
      const failed = seed.order.slice(0, position);
      const members = state.members.filter((m) => seed.revealed.includes(m.id) && !failed.includes(m.id));
      const { weights: global } = await this.globalModel();
      const aggregation = await leadSecureAggregation({
        node: this.node,
        own: this.member,
        round,
        members,
        global,
        settings: this.options.task.secureAggregation,
        leastParticipants: leastParticipants(this.options.task),
      });
      this.options.onLeaderSaw?.(round, aggregation);
      const dp = this.options.task.differentialPrivacy;
      if (dp && aggregation.participants.length < dp.minimumParticipants)
        throw new SwarmError(
          'round-failed',
          `Round ${round} has ${aggregation.participants.length} updates, fewer than the ${dp.minimumParticipants} whose noise ` +
            'together makes the sum private; it is not committed, and starts again when more members take part.',
        );
      const method = federationMethod(this.options.strategy ?? { name: 'swarm' });
      const next = combineSum(method, global, aggregation.sum).weights;
      const bytes = Buffer.from(encodeWeights(next));
      const model = sha256Hex(bytes);
      this.node.models.set(model, bytes);
      await this.options.beforeAggregateCommit?.(round);
      await this.node.propose({
        kind: 'aggregate-commit',
        round,
        leader: this.node.id,
        model,
        serverState: null,
        participants: aggregation.participants,
        // The swarm's ε once this round counts (0 without DP): members recompute it before signing.
        epsilonSpent: swarmEpsilonForRound(this.options.task, this.node.ledger.entries(0, 100_000), round),
      });
      this.lastMergeMs = performance.now() - started;
    } catch (error) {
      this.lastLeadError = error as Error;
      this.node.logger.warn(
        { err: error, round },
        'leading a swarm round failed; the next in the succession takes over',
      );
    }
  }
}
