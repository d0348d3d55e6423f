// A member taking part in its swarm's rounds on its own, as `radfed swarm serve` runs it: no harness
// starts the rounds. Each member watches its ledger; when no round is open, the member whose turn it
// is (round r is started by the ((r − 1) mod N)-th member in join order) starts the next one, and the
// others wait one leader timeout per place after it before they try, so a dead starter does not stop
// the swarm and two live members rarely propose at one height. Leading, SecAgg+ and the checks are
// SwarmRounds' (the same code the demo and the specs drive). Every committed model is kept on disk
// (swarm-model-store.ts), so a member stopped (SIGTERM) or killed mid-round and started again catches
// up from its peers' ledgers, takes the model its ledger names, and goes on with the next round.
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import { anotherRoundFits, type WeightSet } from '../../../shared/federation/index.ts';
import type { PlanRefusalAudit } from './plan-refusal-audit.ts';
import type { MemberUpdate } from './round-secagg-member.ts';
import { SwarmError } from './swarm-error.ts';
import { SwarmModelStore } from './swarm-model-store.ts';
import type { SwarmNode } from './swarm-node.ts';
import { swarmDpSettings } from './swarm-privacy.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import type { SwarmTask } from './swarm-task.ts';

export type SwarmServiceEvent =
  | { readonly type: 'serving'; readonly lastCommittedRound: number; readonly rounds: number }
  | { readonly type: 'round-started'; readonly round: number; readonly attempt: number }
  /** Each start of a round is seeded apart: `attempt` 2, 3, … for a round started again after it stalled. */
  | {
      readonly type: 'seeded';
      readonly round: number;
      readonly attempt: number;
      readonly order: readonly string[];
    }
  | {
      readonly type: 'committed';
      readonly round: number;
      readonly leader: string;
      readonly model: string;
      readonly participants: readonly string[];
      readonly epsilonSpent: number;
      readonly height: number;
    }
  | {
      readonly type: 'finished';
      readonly rounds: number;
      readonly model: string;
      /** The task's privacy budget ended the swarm's rounds before the task's last round. */
      readonly budgetSpent?: boolean;
    }
  | { readonly type: 'left'; readonly rounds: number }
  | { readonly type: 'problem'; readonly message: string };

export interface SwarmServiceOptions {
  readonly node: SwarmNode;
  readonly task: SwarmTask;
  /** Where committed models are kept (D/swarm-models). */
  readonly modelDir: string;
  /** The initial model's bytes when this member has them; otherwise its disk, then a peer. */
  readonly initialModel?: Uint8Array;
  /** This member's local training on its own cohort, from the round's global model. */
  readonly train: (global: WeightSet, round: number) => Promise<MemberUpdate>;
  readonly onEvent?: (event: SwarmServiceEvent) => void;
  /** How often the member looks at its ledger (ms). */
  readonly pollMs?: number;
  /** The site's audit log, for refused round plans (absent: a folder that holds no site). */
  readonly audit?: PlanRefusalAudit;
}

export class SwarmService {
  readonly rounds: SwarmRounds;
  /** Resolves with the final model's hash once the task's last round is committed. */
  readonly finished: Promise<string>;
  readonly #store: SwarmModelStore;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  #kept = 0;
  /** Since when (this member's clock) the ledger has looked as it does now: no open round, or this one. */
  #idle: { key: string; since: number } = { key: '', since: Date.now() };
  /** The starts whose seed this member has told of, as `round:attempt`. */
  #seeded = new Set<string>();

  private constructor(
    private readonly options: SwarmServiceOptions,
    initialModel: Uint8Array,
  ) {
    this.#store = new SwarmModelStore(options.modelDir);
    this.#store.keep(options.task.initialModel, initialModel, this.#heldModels());
    const last = options.node.ledger.state?.lastCommittedRound ?? 0;
    const lastModel = last > 0 ? this.#modelOf(last) : null;
    const lastBytes = lastModel ? this.#store.read(lastModel) : null;
    if (lastModel && lastBytes) options.node.models.set(lastModel, lastBytes);
    this.rounds = new SwarmRounds(options.node, {
      task: options.task,
      initialModel,
      train: options.train,
      // Told as the seed is stored, so a start that commits between two looks is told of too.
      onSeeded: ({ round, attempt, order }) => this.#seededOnce(round, attempt, order),
      ...(options.audit ? { audit: options.audit } : {}),
      // The operator reads which field of a leader's plan the task does not allow, and what it says.
      onPlanRefused: (refusal) => this.#emit({ type: 'problem', message: refusal.sentence }),
    });
    let finish: (model: string) => void = () => undefined;
    this.finished = new Promise((resolve) => (finish = resolve));
    this.#loop = this.#run(finish);
  }

  /** Catches up with the swarm, finds the initial model, and starts taking part in its rounds. */
  static async start(options: SwarmServiceOptions): Promise<SwarmService> {
    const { node, task } = options;
    const held = options.initialModel ?? new SwarmModelStore(options.modelDir).read(task.initialModel);
    // Served at once, so members started alongside this one can fetch it.
    if (held && sha256Hex(held) === task.initialModel) node.models.set(task.initialModel, Buffer.from(held));
    await node.catchUp();
    const initial = held ?? (await fetchFromPeers(node, task.initialModel, options.onEvent));
    if (sha256Hex(initial) !== task.initialModel)
      throw new SwarmError(
        'model-mismatch',
        "The initial model this member holds is not the task's (its SHA-256 differs); approve the task file the other members approved.",
      );
    const service = new SwarmService(options, initial);
    options.onEvent?.({
      type: 'serving',
      lastCommittedRound: node.state.lastCommittedRound,
      rounds: task.rounds,
    });
    return service;
  }

  /** Stops taking part (a round in flight goes on without this member); the ledger and models stay. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.rounds.stop();
    await this.#loop;
  }

  async #run(finish: (model: string) => void): Promise<void> {
    const pollMs = this.options.pollMs ?? 200;
    while (!this.#stopped) {
      try {
        const model = await this.#step();
        if (model !== null) {
          finish(model);
          return;
        }
      } catch (error) {
        this.#emit({ type: 'problem', message: (error as Error).message });
        this.#idle = { key: this.#idle.key, since: Date.now() };
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** One look at the ledger; returns the final model's hash when the task is done. */
  async #step(): Promise<string | null> {
    const { node, task } = this.options;
    const state = node.state;
    if (!state.members.some((m) => m.id === node.id)) {
      // This member left (or was removed): the swarm's rounds go on without it.
      this.#emit({ type: 'left', rounds: state.lastCommittedRound });
      return this.#modelOf(state.lastCommittedRound) ?? task.initialModel;
    }
    await this.#keepCommitted(state.lastCommittedRound);
    if (state.lastCommittedRound >= task.rounds) {
      const model = this.#modelOf(task.rounds) ?? task.initialModel;
      this.#emit({ type: 'finished', rounds: task.rounds, model });
      return model;
    }
    const open = state.openRound;
    // A swarm whose next round would pass the task's privacy budget starts no more rounds.
    const dp = swarmDpSettings(task);
    if (open === null && dp && !anotherRoundFits(dp, state.lastCommittedRound)) {
      const model = this.#modelOf(state.lastCommittedRound) ?? task.initialModel;
      this.#emit({ type: 'finished', rounds: state.lastCommittedRound, model, budgetSpent: true });
      return model;
    }
    // A seed this member caught up on before its rounds watched the ledger (started mid-round).
    if (open?.seed) this.#seededOnce(open.round, open.attempt, open.seed.order);
    const key = open === null ? `idle:${state.lastCommittedRound}` : `open:${open.startedAt}`;
    if (this.#idle.key !== key) this.#idle = { key, since: Date.now() };
    const waited = Date.now() - this.#idle.since;
    const next = state.lastCommittedRound + 1;
    const members = state.members.map((m) => m.id);
    const starter = (next - 1) % members.length;
    const place = (members.indexOf(node.id) - starter + members.length) % members.length;
    // An open round that has had every leader's time (and one more) is stalled: its starter (then the
    // others, one timeout apart) starts it again under the same number with fresh commits.
    const stalledAfter = open === null ? 0 : ((open.seed?.order.length ?? 0) + 2) * task.leaderTimeoutMs;
    if (waited < stalledAfter + place * task.leaderTimeoutMs) return null;
    this.#idle = { key, since: Date.now() };
    const round = await this.rounds.startRound();
    const started = node.state.openRound;
    this.#emit({ type: 'round-started', round, attempt: started?.round === round ? started.attempt : 1 });
    return null;
  }

  /** Keeps the last committed round's model on disk (fetched and checked if this member lacks it). */
  async #keepCommitted(last: number): Promise<void> {
    if (last === 0 || last <= this.#kept) return;
    const outcome = this.rounds.outcome(last);
    if (outcome === null) return;
    const { hash } = await this.rounds.globalModel();
    const bytes = this.options.node.models.get(hash);
    if (bytes) this.#store.keep(hash, bytes, [this.options.task.initialModel]);
    const entry = this.options.node.ledger.entries(outcome.height, 1)[0]?.entry.body;
    this.#kept = last;
    this.#emit({
      type: 'committed',
      round: last,
      leader: outcome.leader,
      model: outcome.model,
      participants: outcome.participants,
      epsilonSpent: entry?.kind === 'aggregate-commit' ? entry.epsilonSpent : 0,
      height: outcome.height,
    });
  }

  #modelOf(round: number): string | null {
    for (const signed of this.options.node.ledger.entries(0, 100_000).reverse()) {
      const body = signed.entry.body;
      if (body.kind === 'aggregate-commit' && body.round === round) return body.model;
    }
    return null;
  }

  #heldModels(): string[] {
    const last = this.options.node.ledger.state?.lastCommittedRound ?? 0;
    const model = last > 0 ? this.#modelOf(last) : null;
    return model ? [model] : [];
  }

  #seededOnce(round: number, attempt: number, order: readonly string[]): void {
    if (this.#seeded.has(`${round}:${attempt}`)) return;
    this.#seeded.add(`${round}:${attempt}`);
    this.#emit({ type: 'seeded', round, attempt, order });
  }

  #emit(event: SwarmServiceEvent): void {
    this.options.onEvent?.(event);
  }
}

const FETCH_TRIES = 150;
const FETCH_PAUSE_MS = 2000;

/**
 * The model with SHA-256 `hash` from the first peer that holds it. Members are started in any order:
 * one that lacks the initial model waits (about 5 minutes) for a member that holds it to come up.
 */
async function fetchFromPeers(
  node: SwarmNode,
  hash: string,
  onEvent?: (event: SwarmServiceEvent) => void,
): Promise<Uint8Array> {
  for (let attempt = 1; attempt <= FETCH_TRIES; attempt++) {
    for (const peer of node.peers()) {
      try {
        const bytes = await node.client.fetchModel(peer, hash);
        if (sha256Hex(bytes) === hash) return bytes;
      } catch (error) {
        node.logger.debug({ err: error }, 'fetching the initial model from a peer failed; trying the next');
      }
    }
    if (attempt === 1)
      onEvent?.({
        type: 'problem',
        message: 'No member reached holds the task\u2019s initial model yet; waiting for one to start.',
      });
    await new Promise((resolve) => setTimeout(resolve, FETCH_PAUSE_MS));
  }
  throw new SwarmError(
    'model-mismatch',
    'No reachable member holds the task\u2019s initial model; start the member that wrote the task file first.',
  );
}
