// The site's own count of its differential-privacy budget. The site does not take the hub's word for
// it: each update it sent under a task with differential privacy counts as one round of releases of its
// data (DP-FedAvg: one noised update; patient-level DP-SGD: that round's noised training steps) (even in a
// round that later failed; more cautious than the hub, which may not count those), and the site
// refuses to train a round that would take it past the task's ε.
import {
  anotherRoundFits,
  budgetView,
  formatEpsilon,
  privacySpentAfter,
  type PrivacyBudgetView,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import type { Database } from 'better-sqlite3';
import { listApprovals } from './approvals.ts';
import { federationPaths } from './enrollment-store.ts';
import { SyncError } from './sync-error.ts';
import { loadTaskState, taskFolder, type TaskState } from './task-state.ts';

/** Updates this site sent for the task (each one noised with the task's settings). */
export function updatesSent(state: Pick<TaskState, 'history'>): number {
  return state.history.filter((record) => record.outcome === 'submitted').length;
}

export function siteBudgetView(
  definition: TaskDefinition,
  state: Pick<TaskState, 'history'>,
): PrivacyBudgetView | null {
  return definition.privacy.differentialPrivacy ? budgetView(definition, updatesSent(state)) : null;
}

/** Throws when one more update would take this site past the task's privacy budget. */
export function assertBudgetAllowsAnotherUpdate(
  definition: TaskDefinition,
  state: Pick<TaskState, 'history'>,
): void {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) return;
  const sent = updatesSent(state);
  if (anotherRoundFits(definition, sent)) return;
  const spent = privacySpentAfter(definition, sent).epsilon;
  throw new SyncError(
    'privacy-budget-reached',
    `This site has spent its privacy budget for the task: ${sent} update${sent === 1 ? '' : 's'} sent spent ` +
      `ε = ${formatEpsilon(spent)} of ε = ${dp.budget.epsilon} (δ = ${dp.budget.delta}); another would exceed it, ` +
      'so the site trains no more rounds for this task.',
  );
}

/** One approved task's budget as this site counts it, for `radfed site status`. */
export interface SiteTaskBudget {
  readonly taskId: string;
  readonly taskName: string;
  readonly budget: PrivacyBudgetView;
  /** The budget in plain words. */
  readonly text: string;
}

/** The site's own count for every approved task with differential privacy. */
export function siteTaskBudgets(siteDir: string, db: Database): SiteTaskBudget[] {
  const tasksRoot = federationPaths(siteDir).tasks;
  return listApprovals(db).flatMap((approval) => {
    const budget = siteBudgetView(
      approval.definition,
      loadTaskState(taskFolder(tasksRoot, approval.taskId), approval.taskId),
    );
    if (!budget) return [];
    return [
      { taskId: approval.taskId, taskName: approval.taskName, budget, text: describeSiteBudget(budget) },
    ];
  });
}

export function describeSiteBudget(budget: PrivacyBudgetView): string {
  const sent = `${budget.rounds} update${budget.rounds === 1 ? '' : 's'} sent`;
  // Per patient, ε is what any one patient of this site has spent at most (one in every step counted).
  const spent =
    budget.unit === 'patient'
      ? `each patient of this site has spent at most \u03b5 = ${formatEpsilon(budget.epsilonSpent)} of the privacy ` +
        `budget \u03b5 = ${budget.epsilonBudget} per patient (\u03b4 = ${budget.delta}) with ${sent}`
      : `this site has spent \u03b5 = ${formatEpsilon(budget.epsilonSpent)} of its privacy budget ` +
        `\u03b5 = ${budget.epsilonBudget} (\u03b4 = ${budget.delta}) with ${sent}`;
  if (budget.roundsAllowed === null) return `${spent}.`;
  const left = Math.max(0, budget.roundsAllowed - budget.rounds);
  return left === 0
    ? `${spent}; the budget is used up: this site trains no more rounds for this task.`
    : `${spent}; ${left} more round${left === 1 ? '' : 's'} fit${left === 1 ? 's' : ''} the budget.`;
}
