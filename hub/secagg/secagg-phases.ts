// The secure-aggregation phases of a collecting round (SecAgg+). Each moves on when every site it
// waits for has acted, or at its deadline when enough have; otherwise the round fails with a reason.
//   advertising  sites train, then send their round public keys
//   sharing      the plan is fixed (ring order from the round's seed); sites send encrypted shares
//   masking      sites send their masked input through the ordinary resumable upload
//   unmasking    survivors reveal shares; as soon as every secret has t shares, the round aggregates
// Each phase's deadline scales with how long it took in the task's last rounds (phase-deadlines.ts):
// at least the task's round deadline for training and keys, its phaseSeconds for the others.
// Every move is one transaction that holds the round's lock (replicas never decide one phase twice)
// and is guarded by the phase it leaves, so a hub killed at any point resumes.
import { randomBytes } from 'node:crypto';
import {
  leastUpdatesInSecureSum,
  type TaskDefinition,
  type SecAggPlan,
} from '../../shared/federation/index.ts';
import { missingShares, orderSites, planValuesFor } from '../../shared/node/secagg/index.ts';
import { isoAt, type HubContext } from '../hub-context.ts';
import { lockKeys, type HubRows, type HubTransaction, type RoundRow, type TaskRow } from '../store/index.ts';
import { definitionOf } from '../tasks.ts';
import { phaseDeadlineAt } from './phase-deadlines.ts';
import { planOf, SecAggRows, type SecAggRoundRow, type StoredPhase } from './secagg-rows.ts';

/** Sites a secure round needs at every step: the quorum, and never fewer than 2. */
export function secureQuorum(definition: TaskDefinition): number {
  return Math.max(definition.quorum, 2);
}

/** The fewest updates the round's sum may hold, once its plan is fixed (from the sharing phase on). */
function leastInSum(definition: TaskDefinition, state: SecAggRoundRow): number {
  return leastUpdatesInSecureSum(definition.quorum, (planOf(state) as SecAggPlan).participants);
}

/** Why a sum of two is refused in a round planned for more, in words; empty otherwise. */
function twoOfMore(count: number, planned: number): string {
  return count === 2 && planned >= 3
    ? ` This round was planned for ${planned} sites, and in a sum of two updates each of the two sites could work out the other's, so nothing was summed.`
    : '';
}

/**
 * Called in the transaction that opens collection: the round starts by waiting for round keys, until
 * the round's deadline or, when the task's rounds have been taking longer, a stretch of that.
 */
export async function startSecureRound(
  ctx: HubContext,
  tx: HubRows,
  taskId: string,
  round: number,
  deadlineAt: string,
): Promise<void> {
  const task = await tx.tasks.task(taskId);
  const now = ctx.now();
  const scaled = task
    ? await phaseDeadlineAt(ctx, tx, taskId, definitionOf(task), round, 'advertising', now)
    : deadlineAt;
  await new SecAggRows(tx.sql).insertRound({
    task_id: taskId,
    round,
    phase: 'advertising',
    seed: randomBytes(32).toString('base64url'),
    phase_started_at: new Date(now).toISOString(),
    deadline_at: Date.parse(scaled) > Date.parse(deadlineAt) ? scaled : deadlineAt,
  });
}

/** Moves a collecting secure round on; returns the round state it entered, or null if nothing moved. */
export function advanceSecureRound(
  ctx: HubContext,
  task: TaskRow,
  definition: TaskDefinition,
  round: RoundRow,
): Promise<'aggregating' | 'failed' | 'moved' | null> {
  return ctx.store.transaction(async (tx) => {
    await tx.lock(lockKeys.round(task.id, round.number));
    return advanceSecureRoundIn(ctx, tx, task, definition, round);
  });
}

async function advanceSecureRoundIn(
  ctx: HubContext,
  tx: HubTransaction,
  task: TaskRow,
  definition: TaskDefinition,
  round: RoundRow,
): Promise<'aggregating' | 'failed' | 'moved' | null> {
  const rows = new SecAggRows(tx.sql);
  const state = await rows.round(task.id, round.number);
  if (!state) {
    // A round that began before secure aggregation was switched on for this hub: start it now.
    await startSecureRound(ctx, tx, task.id, round.number, round.deadline_at ?? isoAt(ctx));
    return 'moved';
  }
  const need = secureQuorum(definition);
  const settings = definition.privacy.secureAggregation;
  // One clock reading for the phase's start, its deadline and the check, so the stored wait is exact.
  const now = ctx.now();
  const at = new Date(now).toISOString();
  const deadlineOf = (phase: StoredPhase) =>
    phaseDeadlineAt(ctx, tx, task.id, definition, round.number, phase, now);
  const deadlinePassed = now >= Date.parse(state.deadline_at);
  const participants = await rows.participants(task.id, round.number);
  const fail = async (reason: string) =>
    (await tx.tasks.updateRound(task.id, round.number, 'collecting', {
      state: 'failed',
      closed_at: at,
      failure_reason: reason,
    }))
      ? ('failed' as const)
      : null;

  switch (state.phase) {
    case 'advertising': {
      const joined = (await tx.sites.joinedSites(task.id)).map((row) => row.site_id);
      const ready = participants.map((p) => p.site_id);
      const allIn = joined.every((siteId) => ready.includes(siteId));
      if ((allIn || deadlinePassed) && ready.length >= need) {
        const order = orderSites(state.seed, ready);
        // The one rule a site checks this plan by (shared/node/secagg/round-plan.ts): any other is refused.
        const plan: SecAggPlan = {
          seed: state.seed,
          participants: order.length,
          ...planValuesFor(settings, order.length),
        };
        const sharingEnds = await deadlineOf('sharing');
        if (!(await rows.movePhase(task.id, round.number, 'advertising', 'sharing', at, sharingEnds, plan)))
          return null;
        for (const [position, siteId] of order.entries())
          await rows.setPosition(task.id, round.number, siteId, position);
        return 'moved';
      }
      if (!deadlinePassed) return null;
      return fail(
        `Only ${ready.length} of the ${need} sites needed had trained and sent their round keys before the deadline.`,
      );
    }
    case 'sharing': {
      const placed = participants.filter((p) => p.position !== null);
      const shared = placed.filter((p) => p.shared_at !== null);
      const inSum = leastInSum(definition, state);
      if ((shared.length === placed.length || deadlinePassed) && shared.length >= inSum) {
        const maskingEnds = await deadlineOf('masking');
        return (await rows.movePhase(task.id, round.number, 'sharing', 'masking', at, maskingEnds))
          ? 'moved'
          : null;
      }
      if (!deadlinePassed && shared.length < placed.length) return null;
      return fail(
        `Only ${shared.length} of the ${inSum} sites needed sent their key shares${deadlinePassed ? ' before the deadline' : ''}.` +
          twoOfMore(shared.length, placed.length),
      );
    }
    case 'masking': {
      const shared = participants.filter((p) => p.shared_at !== null);
      const masked = new Set((await tx.uploads.acceptedUpdates(task.id, round.number)).map((s) => s.site_id));
      const sent = shared.filter((p) => masked.has(p.site_id));
      const inSum = leastInSum(definition, state);
      if ((sent.length === shared.length || deadlinePassed) && sent.length >= inSum) {
        const unmaskingEnds = await deadlineOf('unmasking');
        if (!(await rows.movePhase(task.id, round.number, 'masking', 'unmasking', at, unmaskingEnds)))
          return null;
        for (const p of shared)
          await rows.setSurvivor(task.id, round.number, p.site_id, masked.has(p.site_id));
        return 'moved';
      }
      if (!deadlinePassed && sent.length < shared.length) return null;
      return fail(
        `Only ${sent.length} of the ${inSum} masked updates needed arrived${deadlinePassed ? ' before the deadline' : ''}.` +
          twoOfMore(sent.length, (planOf(state) as SecAggPlan).participants),
      );
    }
    case 'unmasking': {
      const plan = planOf(state) as SecAggPlan;
      const revealed = await rows.revealed(task.id, round.number);
      const count = (owner: string, kind: string) =>
        revealed.filter((r) => r.owner_site === owner && r.kind === kind);
      const short = missingShares({
        survivors: participants
          .filter((p) => p.survivor === 1)
          .map((p) => ({ siteId: p.site_id, selfMaskShares: count(p.site_id, 'self-mask') })),
        dropped: participants
          .filter((p) => p.survivor === 0)
          .map((p) => ({ siteId: p.site_id, maskKeyShares: count(p.site_id, 'mask-key') })),
        threshold: plan.threshold,
      });
      if (short.length === 0) {
        return (await tx.tasks.updateRound(task.id, round.number, 'collecting', {
          state: 'aggregating',
          aggregating_at: at,
        }))
          ? 'aggregating'
          : null;
      }
      if (!deadlinePassed) return null;
      return fail(
        `Too many sites dropped out: the masks of ${short.length} site${short.length === 1 ? '' : 's'} could not be removed ` +
          `(fewer than ${plan.threshold} shares arrived), so nothing was unmasked.`,
      );
    }
  }
}
