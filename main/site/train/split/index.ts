// Split learning's step (U-shaped SplitFed): the site's bottom and head, the hub's trunk, the frames
// between them, and the optimizers each side applies to its own segment. No transport here: every
// call takes and gives a cut frame's bytes.
export { HubTrunk } from './hub-trunk.ts';
export type { HubTrunkOptions, TrunkBackward } from './hub-trunk.ts';
export { SplitSite } from './split-site.ts';
export type { HeadStepResult, SplitSiteOptions } from './split-site.ts';
export { adamOptimizer, sgdOptimizer } from './segment-optimizer.ts';
export type { SegmentOptimizer } from './segment-optimizer.ts';
export type { WeightGradients } from './cut-tensors.ts';
export { SplitStepError } from './split-step-error.ts';
export type { SplitStepErrorCode } from './split-step-error.ts';
export { SplitSessionRunner } from './split-session-runner.ts';
export type {
  SplitExchange,
  SplitSessionRunnerOptions,
  SplitWait,
  StepOutcome,
} from './split-session-runner.ts';
export type { SiteCutDefences } from './split-site.ts';
export { SessionHijackCheck } from './session-hijack-check.ts';
export type { SessionHijackCheckOptions } from './session-hijack-check.ts';
export * from './defences/index.ts';
export { modelForTask, TrunkKeeper, trunkForTask } from './trunk-keeper.ts';
export type { TrunkEvent, TrunkKeeperOptions } from './trunk-keeper.ts';
export { decodeTrunkState, type TrunkState } from './trunk-checkpoint.ts';
