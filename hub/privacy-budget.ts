// The hub's side of a task's differential-privacy budget. Every round in which the hub could see a
// noised update counts as one release: a published round, and, without secure aggregation, a failed
// round that received updates (the hub saw them one by one even though it published nothing). With
// secure aggregation a failed round unmasks nothing, so it does not count. Before a round opens the
// hub records what the closed rounds spent, and ends the task if one more round would exceed ε.
import {
  anotherRoundFits,
  budgetView,
  dpUnit,
  formatEpsilon,
  patientDpStepsPerRound,
  privacySpentAfter,
  secureAggregationOn,
  type PrivacyBudgetView,
  type TaskDefinition,
} from '../shared/federation/index.ts';
import { isoAt, type HubContext } from './hub-context.ts';
import { lockKeys, type HubRows, type RoundRow } from './store/index.ts';

export const PRIVACY_BUDGET_REACHED = 'privacy budget reached';

/** The closed rounds that count against the budget, oldest first. */
export async function roundsCounted(
  rows: HubRows,
  taskId: string,
  definition: TaskDefinition,
): Promise<RoundRow[]> {
  const masked = secureAggregationOn(definition);
  const counted: RoundRow[] = [];
  for (const round of await rows.tasks.rounds(taskId)) {
    if (
      round.state === 'published' ||
      (round.state === 'failed' &&
        !masked &&
        (await rows.uploads.acceptedUpdates(taskId, round.number)).length > 0)
    )
      counted.push(round);
  }
  return counted;
}

/** Writes the ledger rows of counted rounds not yet recorded. Idempotent. */
export async function recordPrivacySpent(
  ctx: HubContext,
  rows: HubRows,
  taskId: string,
  definition: TaskDefinition,
): Promise<void> {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) return;
  const recorded = new Set((await rows.privacy.ledger(taskId)).map((row) => row.round));
  const counted = await roundsCounted(rows, taskId, definition);
  for (const [index, round] of counted.entries()) {
    if (recorded.has(round.number)) continue;
    const spent = privacySpentAfter(definition, index + 1);
    await rows.privacy.record({
      task_id: taskId,
      round: round.number,
      rounds_counted: index + 1,
      epsilon: spent.epsilon,
      delta: dp.budget.delta,
      rdp_order: spent.order,
      recorded_at: isoAt(ctx),
    });
  }
}

/**
 * Called before the hub opens a round: records what was spent and, when one more round would go
 * past the budget, ends the task (completed, with the reason) and returns true.
 */
export async function endTaskIfBudgetReached(
  ctx: HubContext,
  taskId: string,
  definition: TaskDefinition,
): Promise<boolean> {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) return false;
  return ctx.store.transaction(async (tx) => {
    // The ledger is charged once across replicas: under the task's lock.
    await tx.lock(lockKeys.task(taskId));
    await recordPrivacySpent(ctx, tx, taskId, definition);
    const counted = (await roundsCounted(tx, taskId, definition)).length;
    if (anotherRoundFits(definition, counted)) return false;
    const spent = privacySpentAfter(definition, counted);
    await tx.tasks.endTask(
      taskId,
      'completed',
      isoAt(ctx),
      `${PRIVACY_BUDGET_REACHED}: ${counted} round${counted === 1 ? '' : 's'} spent ε = ${formatEpsilon(spent.epsilon)} ` +
        `of the task's ε = ${dp.budget.epsilon} (δ = ${dp.budget.delta}); one more round would exceed it.`,
    );
    return true;
  });
}

/** The budget as the task view shows it; null when the task has no differential privacy. */
export async function privacyBudgetOf(
  rows: HubRows,
  taskId: string,
  definition: TaskDefinition,
): Promise<PrivacyBudgetView | null> {
  if (!definition.privacy.differentialPrivacy) return null;
  return budgetView(definition, (await roundsCounted(rows, taskId, definition)).length);
}

/** The model card's privacy section: settings, ε spent by the rounds behind this model, the ledger. */
export async function modelCardPrivacy(
  ctx: HubContext,
  taskId: string,
  definition: TaskDefinition,
  producedByRound: number,
) {
  const masked = secureAggregationOn(definition);
  const dp = definition.privacy.differentialPrivacy;
  const transport = 'Only model updates left the sites, encrypted to the hub.';
  const masking = masked
    ? ' Secure aggregation was on: the hub saw only the sum of the sites\u2019 updates.'
    : ' Secure aggregation was off: the hub saw each site\u2019s update.';
  if (!dp) {
    return {
      ...definition.privacy,
      epsilonSpent: null,
      statement: `${transport}${masking} Differential privacy was off: no privacy budget applies.`,
    };
  }
  // A model card is read outside any round step: its ledger rows are charged under the task's lock too.
  const ledger = await ctx.store.transaction(async (tx) => {
    await tx.lock(lockKeys.task(taskId));
    await recordPrivacySpent(ctx, tx, taskId, definition);
    return tx.privacy.ledger(taskId);
  });
  const behind = ledger.filter((row) => row.round <= producedByRound);
  const spent = behind.at(-1);
  const epsilon = spent?.epsilon ?? 0;
  return {
    ...definition.privacy,
    epsilonSpent: epsilon,
    delta: dp.budget.delta,
    roundsCounted: spent?.rounds_counted ?? 0,
    ledger: ledger.map((row) => ({
      round: row.round,
      roundsCounted: row.rounds_counted,
      epsilon: row.epsilon,
      rdpOrder: row.rdp_order,
      recordedAt: row.recorded_at,
    })),
    statement:
      `${transport}${masking} ${mechanismSentence(definition)} This model satisfies ` +
      `(\u03b5 = ${formatEpsilon(epsilon)}, \u03b4 = ${dp.budget.delta}) differential privacy at the ${dpUnit(dp)} level ` +
      `(budget \u03b5 = ${dp.budget.epsilon}), by the RDP accountant over ${spent?.rounds_counted ?? 0} round(s).`,
  };
}

/** How the noise was added, for the model card. */
function mechanismSentence(definition: TaskDefinition): string {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) return '';
  if (dp.unit === 'patient') {
    return (
      `Differential privacy (patient-level DP-SGD): at each of ${patientDpStepsPerRound(definition)} training steps ` +
      `per round, each patient was in a site\u2019s batch with probability ${dp.samplingRate}, the gradient of all of a ` +
      `patient\u2019s images was clipped to L2 norm ${dp.l2NormClip}, and Gaussian noise with multiplier ` +
      `${dp.noiseMultiplier} was added to the batch\u2019s sum.`
    );
  }
  return (
    `Differential privacy (DP-FedAvg): each site\u2019s update was clipped to L2 norm ${dp.clipNorm} and carried ` +
    `Gaussian noise with multiplier ${dp.noiseMultiplier}.`
  );
}
