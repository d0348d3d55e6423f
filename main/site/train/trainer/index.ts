// The trainer: epochs, schedule, validation metrics, checkpoints, resume, cancel, progress.
export { trainLocalModel } from './train-local-model.ts';
export { FusedAdam } from './adam.ts';
export { SgdMomentum } from './sgd-momentum.ts';
export { createOptimizer, OPTIMIZER_NAMES, type Optimizer, type OptimizerName } from './optimizer.ts';
export type { TrainLocalModelOptions, TrainResult } from './train-local-model.ts';
export type { PatientDpSgdOptions } from './patient-dp-sgd.ts';
export { binaryMetrics, rocAuc } from './metrics.ts';
export type { ValidationMetrics } from './metrics.ts';
export { learningRateAt } from './schedule.ts';
export type { LearningRateSchedule } from './schedule.ts';
export type { EpochRecord, TrainProgress } from './progress.ts';
