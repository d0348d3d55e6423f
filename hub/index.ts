// The federation hub: one Node process with an embedded SQLite database and a folder of
// content-addressed blobs, speaking the protocol in shared/federation over HTTPS.
export { HubError } from './hub-errors.ts';
export { InProcessHubEvents, taskChannel, type HubEvents } from './hub-events.ts';
export {
  DEFAULT_LIMITS,
  openHubContext,
  openHubContextFor,
  type HubContext,
  type HubLimits,
} from './hub-context.ts';
export {
  blobsChoiceText,
  parseBlobsChoice,
  readStoreChoice,
  storeChoiceFor,
  writeStoreChoice,
  type BlobsChoice,
  type StoreChoice,
} from './store-choice.ts';
export { migrateHubSchema } from './hub-migrate.ts';
export { checkPostgresReachable } from './store/index.ts';
export {
  DEFAULT_HOSTS,
  DEFAULT_HUB_PORT,
  initHub,
  readHubConfig,
  type HubConfig,
  type InitHubOptions,
} from './setup/index.ts';
export { startHub, type RunningHub, type StartHubOptions } from './server/start-hub.ts';
export { checkProxyAddresses } from './server/proxy-front.ts';
export { createEnrollmentToken, removeSite, revokeEnrollmentToken, type CreatedToken } from './enrollment.ts';
export { createTask, definitionOf, findTask, parseTaskDefinition, stopTask, taskView } from './tasks.ts';
export { advanceAllTasks, advanceTask, MAX_CONSECUTIVE_FAILED_ROUNDS, type RoundEvent } from './rounds.ts';
export {
  aggregateEvaluations,
  bestModelVersion,
  findModel,
  insertModelRow,
  modelMeta,
  storeModelBlob,
} from './model-registry.ts';
export {
  checkTaskDefinition,
  describeTaskProblems,
  privacyBudgetWarning,
  type TaskCheck,
  type TaskProblem,
} from './task-checks.ts';
export { describeRoundNorms } from './update-bounds-check.ts';
export { exportModel, listModels, WEIGHTS_SHARD, type ExportedModel } from './model-export.ts';
export type { ModelRow, RoundRow, SiteRow, TaskRow } from './store/index.ts';
export {
  benchmarkAggregation,
  referenceCnnLayout,
  runHubScale,
  type AggregationFigure,
  type ScaleRound,
  type ScaleRun,
} from './bench/hub-benchmark.ts';
