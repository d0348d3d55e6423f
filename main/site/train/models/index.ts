// Models: the registry, the tasks that name a model with its input and labels, and the versioned
// weights format.
export { createModel, MODEL_ARCHITECTURES } from './registry.ts';
export type { ModelArchitecture } from './registry.ts';
export type { CutPoints, ImageModel, ModelConfig, ModelStage, StageMode } from './model.ts';
export { backwardThrough, segmentGradients, splitModel } from './model-segments.ts';
export type { ModelSegment, SegmentGradients, SegmentName, SplitModel } from './model-segments.ts';
export type { NamedTensor } from './parameters.ts';
export { batchNormTraining } from './batch-norm.ts';
export { TRAINING_TASKS, taskById } from './tasks.ts';
export type { PixelWindow, TrainingTask } from './tasks.ts';
export {
  decodeWeights,
  encodeWeights,
  readWeightsFiles,
  WEIGHTS_FORMAT,
  WEIGHTS_FORMAT_VERSION,
  writeWeightsFiles,
} from './weights-format.ts';
export type { NamedValues, WeightsManifest } from './weights-format.ts';
export {
  CHECKPOINTING_SETTINGS,
  chooseTrainingStep,
  fitBatchSize,
  fitTrainingBatch,
  measureTrainingMemory,
  planTrainingStep,
  stepBytes,
  trainingMemoryBudget,
} from './training-memory.ts';
export type { BatchChoice, CheckpointingSetting, TrainingMemory } from './training-memory.ts';
export { checkpointedLogits } from './gradient-checkpointing.ts';
export { assignModelValues, encodeModel, modelMeta, readModelValues } from './model-weights.ts';
