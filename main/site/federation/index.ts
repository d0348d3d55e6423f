// The site's side of the federation: enrollment with a hub (pinned, through a proxy if need be),
// approval of tasks in plain words, and the loop that trains for approved tasks round after round,
// sends sealed updates that resume after a cut, evaluates each global model, and records which
// patients' data each published round used.
export { SyncError, type SyncErrorCode } from './sync-error.ts';
export { federationPaths, isEnrolled, loadEnrollment, type FederationPaths } from './enrollment-store.ts';
export { enrollSiteWithHub, type EnrollOptions, type EnrollResult } from './site-enrollment.ts';
export { explainHubError, isTransient } from './explain.ts';
export { hubAgent, openTunnel, proxyFor, ProxyTunnelAgent, type ProxySettings } from './proxy-tunnel.ts';
export {
  approvalOf,
  cohortTaskFor,
  definitionSha256,
  listApprovals,
  recordApproval,
  requireApproval,
  withdrawApproval,
  type Approval,
} from './approvals.ts';
export {
  describeBudgetLimit,
  describeStrategy,
  describeTask,
  megabytes,
  updateBytes,
  type TaskSummaryInput,
} from './task-summary.ts';
export {
  initialModelWeights,
  modelValueCount,
  readTrainedWeights,
  toNamedValues,
  trainingTaskFor,
} from './training-task.ts';
export { evaluateWeights, rocAuc, type Evaluation } from './evaluate-weights.ts';
export { roundLearningRate, taskSchedule } from './task-learning-rate.ts';
export { fetchGlobalModel, type CachedModel } from './model-cache.ts';
export { backoffDelay, sleep, withRetries, type RetryPolicy } from './retry.ts';
export {
  readSealed,
  sealUpdateToDisk,
  sendSealedUpdate,
  writeSealed,
  type SendOutcome,
} from './update-upload.ts';
export { recordParticipation } from './participation.ts';
export { loadTaskState, taskFolder, type TaskState } from './task-state.ts';
export { describeSiteBudget, siteTaskBudgets, type SiteTaskBudget } from './dp-site-budget.ts';
export { describeSyncEvent, type SiteMetrics, type SyncEvent } from './sync-events.ts';
export { runFederation, type FederationRunSummary, type RunFederationOptions } from './federation-loop.ts';
export { sendSiteHeartbeat } from './heartbeat.ts';
export {
  approveTask,
  recordReviewedApproval,
  reviewTask,
  type ApproveResult,
  type TaskReview,
} from './approve-task.ts';
