// A member's side of the commit–reveal that seeds each round (leader-election.ts): it commits to a
// fresh nonce only for the next round of the task it approved, reveals it only once its commit is in
// the round-start entry of its own ledger, and remembers what it revealed, so it can refuse a seed
// entry that leaves its reveal out. The nonce is kept sealed in swarm.db (round-secret-store.ts): a
// member restarted between its commit and its reveal still reveals, and stays in the round.
import { signStatement } from './ledger-entry.ts';
import { drawRoundNonce, nonceCommit, type RoundReveal } from './leader-election.ts';
import { ROUND_COMMIT_TAG, roundCommitStatement } from './membership.ts';
import type { RoundSecretStore } from './round-secret-store.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';

export class RoundNonces {
  readonly #nonces = new Map<number, { nonce: string; revealed: boolean }>();
  readonly #seenReveals = new Map<number, RoundReveal[]>();

  constructor(
    private readonly node: SwarmNode,
    private readonly taskHash: string,
    private readonly kept: RoundSecretStore | null = null,
  ) {}

  /** This member's nonce for `round`, from memory or, after a restart, from swarm.db. */
  #held(round: number): { nonce: string; revealed: boolean } | undefined {
    let held = this.#nonces.get(round);
    if (held === undefined) {
      held = this.kept?.get<{ nonce: string; revealed: boolean }>(round, 'nonce');
      if (held !== undefined) this.#nonces.set(round, held);
    }
    return held;
  }

  /** This member's signed commit for the next round. */
  commit(body: unknown): { member: string; commit: string; signature: string } {
    const { round, task } = body as { round?: unknown; task?: unknown };
    const state = this.node.state;
    if (task !== this.taskHash) throw new SwarmError('bad-message', 'This member did not approve that task.');
    if (round !== state.lastCommittedRound + 1)
      throw new SwarmError('bad-message', `The next round is ${state.lastCommittedRound + 1}.`);
    let held = this.#held(round);
    // A nonce once revealed is public: a round started again gets a fresh one.
    if (held === undefined || held.revealed) {
      held = { nonce: drawRoundNonce(), revealed: false };
      // Kept before the commit leaves: a commit this member could not reveal would drop it from the round.
      this.kept?.put(round, 'nonce', held);
    }
    this.#nonces.set(round, held);
    const commit = { member: this.node.id, commit: nonceCommit(held.nonce) };
    const statement = roundCommitStatement(state.swarmId, round, this.taskHash, commit);
    return {
      ...commit,
      signature: signStatement(ROUND_COMMIT_TAG, statement, this.node.identity.signingKey),
    };
  }

  /** This member's reveal, once its commit is in the open round of its ledger. */
  reveal(body: unknown): RoundReveal {
    const round = (body as { round?: unknown }).round;
    const open = this.node.state.openRound;
    const held = typeof round === 'number' ? this.#held(round) : undefined;
    const mine = open?.commits.find((c) => c.member === this.node.id);
    if (
      open === null ||
      open.round !== round ||
      held === undefined ||
      mine?.commit !== nonceCommit(held.nonce)
    )
      throw new SwarmError(
        'bad-message',
        "This member's commit for that round is not in its ledger; it reveals nothing.",
      );
    held.revealed = true;
    this.kept?.put(open.round, 'nonce', held);
    const reveal = { member: this.node.id, nonce: held.nonce };
    this.#seenReveals.set(open.round, [reveal]);
    return reveal;
  }

  /** The reveals this member saw for `round` (its own). */
  seen(round: number): RoundReveal[] {
    return this.#seenReveals.get(round) ?? [];
  }
}
