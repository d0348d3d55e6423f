// Reviewing and approving a federated task at the site: fetch it from the hub, say in plain words what
// it trains and what leaves the site, and (when the operator agrees) record the approval.
import { HubClient } from '../../../shared/node/federation/index.ts';
import {
  patientDpNoiseShape,
  patientLevelDp,
  type TaskDefinition,
  type TaskView,
} from '../../../shared/federation/index.ts';
import { errorCode, safeMessage } from '../../../shared/log-safety.ts';
import { hopelessNoiseReason } from '../../../shared/privacy/index.ts';
import { commandActor } from '../audit/index.ts';
import { buildCohort, type CohortItem } from '../cohort/index.ts';
import { openSite } from '../store/index.ts';
import type { BackendChoice } from '../train/index.ts';
import { reviewSplitCut } from './approval-split-leakage.ts';
import { cohortTaskFor, recordApproval, type Approval } from './approvals.ts';
import { loadEnrollment } from './enrollment-store.ts';
import { explainHubError } from './explain.ts';
import { hubAgent } from './proxy-tunnel.ts';
import { SyncError } from './sync-error.ts';
import { patientDpRefusalInWords } from './dp-summary.ts';
import { describeTask } from './task-summary.ts';
import { modelValueCount, trainingTaskFor } from './training-task.ts';

export interface TaskReview {
  readonly view: TaskView;
  readonly summary: string[];
  /** The site task that would supply the cohort; null when none fits (approval is then refused). */
  readonly cohortTaskId: string | null;
  readonly problem: string | null;
  /**
   * Why approving would spend this site's privacy for nothing or beyond its limits: patient-level DP
   * that would leave nothing of the signal with this site's training patients
   * (shared/privacy/noise-to-signal.ts), or a split-learning cut that the leakage meter finds above
   * this site's limits (approval-split-leakage.ts); approval is then refused. Null otherwise.
   */
  readonly privacyProblem: string | null;
  /** The same refusal in plain words for the Training page (no σ, q or formula); null with privacyProblem. */
  readonly privacyProblemInWords: string | null;
}

export interface ApproveResult extends TaskReview {
  readonly approval: Approval;
}

/** Fetches task `task` (id, or a name only one task has) and describes it; records nothing. */
export async function reviewTask(
  siteDir: string,
  task: string,
  options: {
    cohortTaskId?: string;
    env?: NodeJS.ProcessEnv;
    backend?: BackendChoice;
    /**
     * Run the leakage meter for a split-learning task (default true). The demo's simulated hospitals
     * may skip it: it rehearses the task on the site's images, about a minute per site at 64 × 64.
     */
    leakageMeter?: boolean;
  } = {},
): Promise<TaskReview> {
  const enrollment = loadEnrollment(siteDir);
  const agent = hubAgent(enrollment.hubUrl, options.env);
  const client = HubClient.fromEnrollment(enrollment, agent ? { agent } : {});
  let view: TaskView;
  try {
    const tasks = await client.listTasks();
    const matches = tasks.filter((t) => t.id === task || t.definition.name === task);
    if (matches.length !== 1) {
      const known = tasks.map((t) => `${t.id} ("${t.definition.name}", ${t.state})`).join(', ') || 'none';
      throw new SyncError(
        'no-such-task',
        matches.length === 0
          ? `The hub has no task "${task}" for this site. Tasks this site may see: ${known}.`
          : `${matches.length} tasks are named "${task}"; give the task id. Tasks: ${known}.`,
      );
    }
    view = matches[0]!;
  } catch (error) {
    throw explainHubError(error, enrollment.hubUrl);
  } finally {
    agent?.destroy();
  }
  const trainingTask = trainingTaskFor(view.id, view.definition);
  const site = openSite(siteDir);
  try {
    let cohortTaskId: string | null = null;
    let cohort = null;
    let problem: string | null = null;
    let privacyProblem: string | null = null;
    let privacyProblemInWords: string | null = null;
    let train: CohortItem[] = [];
    try {
      cohortTaskId = cohortTaskFor(site.database, view.definition, options.cohortTaskId).id;
      const built = buildCohort(site, cohortTaskId);
      train = built.train;
      const patients = new Set([...built.train, ...built.validation].map((item) => item.patient)).size;
      // Patient-level DP samples patients, not images: N is the training split's patients.
      const trainPatients = new Set(built.train.map((item) => item.patient)).size;
      cohort = {
        taskId: cohortTaskId,
        train: built.train.length,
        validation: built.validation.length,
        patients,
        trainPatients,
      };
      privacyProblem = hopelessPatientDp(view.definition, trainPatients);
      privacyProblemInWords = privacyProblem && patientDpRefusalInWords(view.definition, trainPatients);
      problem = privacyProblem;
    } catch (error) {
      // Our errors' sentences only: another error's message may quote a path or a value (log-safety.ts).
      problem = safeMessage(error) ?? `the cohort could not be built (${errorCode(error)})`;
    }
    const summary = describeTask({
      view,
      hubUrl: enrollment.hubUrl,
      modelValues: modelValueCount(trainingTask),
      cohort,
    });
    // Split learning: the leakage meter's figures for the task's cut, and this site's refusal above its
    // limits (a privacy refusal like patient-level DP's: the approval is not recorded).
    const cut =
      cohortTaskId === null || options.leakageMeter === false
        ? null
        : await reviewSplitCut(site, view, {
            cohortTaskId,
            train,
            ...(options.backend ? { backend: options.backend } : {}),
          });
    if (cut) {
      summary.push(...cut.lines);
      if (cut.problem && !privacyProblem) {
        privacyProblem = cut.problem;
        privacyProblemInWords = cut.problem;
        problem = cut.problem;
      }
    }
    return { view, summary, cohortTaskId, problem, privacyProblem, privacyProblemInWords };
  } finally {
    site.database.close();
  }
}

/** Reviews the task and records its approval (with an audit entry); refuses when no site task fits. */
export async function approveTask(
  siteDir: string,
  task: string,
  options: {
    cohortTaskId?: string;
    actor?: string;
    env?: NodeJS.ProcessEnv;
    clock?: () => Date;
    leakageMeter?: boolean;
  } = {},
): Promise<ApproveResult> {
  const review = await reviewTask(siteDir, task, options);
  return recordReviewedApproval(siteDir, review, options);
}

export function recordReviewedApproval(
  siteDir: string,
  review: TaskReview,
  options: { actor?: string; clock?: () => Date } = {},
): ApproveResult {
  if (review.cohortTaskId === null) {
    throw new SyncError(
      'task-mismatch',
      `Task ${review.view.id} was not approved: ${review.problem ?? 'no site task fits it'}`,
    );
  }
  if (review.privacyProblem) {
    throw new SyncError('task-mismatch', `Task ${review.view.id} was not approved: ${review.privacyProblem}`);
  }
  if (review.view.state !== 'active') {
    throw new SyncError(
      'no-such-task',
      `Task ${review.view.id} is ${review.view.state} at the hub; there is nothing left to approve.`,
    );
  }
  const site = openSite(siteDir);
  try {
    const approval = recordApproval(site.database, {
      view: review.view,
      cohortTaskId: review.cohortTaskId,
      actor: options.actor ?? commandActor(),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    return { ...review, approval };
  } finally {
    site.database.close();
  }
}

/**
 * Patient-level DP refused at approval when the noise over the signal of the whole training,
 * ρ = σ√d/(q·N·√T) with N this site's training patients, is above the line (shared/privacy/noise-to-signal.ts): the site would
 * spend its patients' privacy on a model that learns nothing. Null when it is not, or without that DP.
 */
export function hopelessPatientDp(definition: TaskDefinition, trainPatients: number): string | null {
  const dp = patientLevelDp(definition.privacy.differentialPrivacy);
  if (!dp) return null;
  const reason = hopelessNoiseReason(
    dp.noiseMultiplier,
    dp.samplingRate,
    trainPatients,
    patientDpNoiseShape(definition),
  );
  return (
    reason &&
    `the task's patient-level differential privacy would leave nothing of the signal here. ${reason}`
  );
}
