// Split learning at the hub: the per-site WebSocket sessions that carry cut frames to a task's trunk,
// one step at a time, with the trunk checkpointed after every step.
export { DEFAULT_SPLIT_LIMITS, SplitSessions, type SplitSessionLimits } from './split-sessions.ts';
export { readTrunkCheckpoint, trunkCheckpointPath } from './trunk-checkpoint-file.ts';
export { trunkCheckpointsFor, type TrunkCheckpoints } from './trunk-checkpoints.ts';
export { activeSplitTasks, type SplitTaskToServe } from './split-tasks.ts';
