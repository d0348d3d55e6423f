// What a member checks, beyond the ledger's own rules, before it countersigns a round's entry: a
// round-start only for the task it approved; a round seed that leaves out no reveal it saw; an
// aggregate only from a member, with a model it fetched and whose hash and layout it checked, and
// with the privacy its own accountant gives (enough noise shares, the same ε).
import type { NamedTensor } from '../../../shared/federation/index.ts';
import { omittedReveals, type RoundReveal } from './leader-election.ts';
import { ledgerEntrySchema } from './ledger-entry.ts';
import { findMember } from './membership.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';
import { swarmEpsilonForRound } from './swarm-privacy.ts';
import { verifiedModel, type SwarmTask } from './swarm-task.ts';

export interface RoundReviewContext {
  readonly node: SwarmNode;
  readonly task: SwarmTask;
  readonly taskHash: string;
  readonly revealsSeen: (round: number) => RoundReveal[];
  readonly globalModel: () => Promise<{ weights: NamedTensor[] }>;
}

export async function reviewRoundEntry(candidate: unknown, ctx: RoundReviewContext): Promise<void> {
  const { node } = ctx;
  const parsed = ledgerEntrySchema.safeParse(candidate);
  if (!parsed.success) return; // the ledger's own review refuses it with the reason
  const body = parsed.data.body;
  if (body.kind === 'round-start' && body.task !== ctx.taskHash)
    throw new SwarmError('bad-message', 'This member did not approve the task of that round.');
  if (body.kind === 'round-seed') {
    const commits = node.state.openRound?.commits ?? [];
    const omitted = omittedReveals(body.reveals, ctx.revealsSeen(body.round), commits);
    if (omitted.length > 0)
      throw new SwarmError('bad-message', 'The round seed leaves out a reveal this member saw.');
  }
  if (body.kind === 'aggregate-commit') {
    const leader = findMember(node.state, body.leader);
    if (!leader) throw new SwarmError('not-member', 'The aggregate names a leader that is not a member.');
    reviewPrivacy(ctx, body.round, body.participants.length, body.epsilonSpent);
    const bytes = node.models.get(body.model) ?? (await node.client.fetchModel(leader, body.model));
    const { weights: global } = await ctx.globalModel();
    const model = verifiedModel(bytes, body.model);
    if (model.length !== global.length || model.some((t, i) => t.data.length !== global[i]?.data.length))
      throw new SwarmError('model-mismatch', "The aggregate's model does not have the task's layout.");
    node.models.set(body.model, Buffer.from(bytes));
  }
}

/** An aggregate's privacy, as this member accounts for it: enough noise shares, the ε it computes. */
function reviewPrivacy(ctx: RoundReviewContext, round: number, participants: number, epsilon: number): void {
  const dp = ctx.task.differentialPrivacy;
  if (dp && participants < dp.minimumParticipants)
    throw new SwarmError(
      'bad-message',
      `The aggregate sums ${participants} updates; this task needs ${dp.minimumParticipants} for its noise.`,
    );
  const expected = swarmEpsilonForRound(ctx.task, ctx.node.ledger.entries(0, 100_000), round);
  if (Math.abs(epsilon - expected) > 1e-9 * Math.max(1, expected))
    throw new SwarmError(
      'bad-message',
      `The aggregate records ε ${epsilon}, but this member's accountant gives ${expected} for round ${round}.`,
    );
}
