// The local training engine: TensorFlow.js on the best backend the workstation has (native
// TensorFlow, WebGPU, WebAssembly, JavaScript), with the project's own kernels where the stock ones
// are missing or slow, models with a versioned weights format, DICOM pixel preparation with a disk
// cache, a streaming loader, and a trainer that checkpoints and resumes.
export { BACKEND_CHOICES, describeBackend, selectBackend, tf } from './backend/index.ts';
export type { BackendChoice, BackendName, BackendReport } from './backend/index.ts';
export { registerTrainingKernels } from './kernels/index.ts';
export {
  assignModelValues,
  CHECKPOINTING_SETTINGS,
  createModel,
  fitBatchSize,
  fitTrainingBatch,
  measureTrainingMemory,
  trainingMemoryBudget,
  encodeModel,
  MODEL_ARCHITECTURES,
  readWeightsFiles,
  TRAINING_TASKS,
  taskById,
  WEIGHTS_FORMAT,
  WEIGHTS_FORMAT_VERSION,
  writeWeightsFiles,
} from './models/index.ts';
export type {
  CheckpointingSetting,
  ImageModel,
  ModelConfig,
  NamedValues,
  TrainingTask,
  WeightsManifest,
} from './models/index.ts';
export { BatchLoader, decodeFrame, prepareFile, prepareImage, SeededRandom } from './data/index.ts';
export type { AugmentOptions, Batch, LabelledImage, PrepareRecipe } from './data/index.ts';
export { createOptimizer, learningRateAt, OPTIMIZER_NAMES, trainLocalModel } from './trainer/index.ts';
export type {
  EpochRecord,
  LearningRateSchedule,
  Optimizer,
  OptimizerName,
  PatientDpSgdOptions,
  TrainLocalModelOptions,
  TrainProgress,
  TrainResult,
  ValidationMetrics,
} from './trainer/index.ts';
export { TrainError } from './errors.ts';
export type { TrainErrorCode } from './errors.ts';
export {
  benchmarkLoaderMemory,
  benchmarkReferenceTraining,
  cpuSimd,
  noiseTrainingStep,
  runGpuCheck,
  runTorchReference,
  TORCH_REFERENCE_MODELS,
} from './bench/index.ts';
export type {
  GpuCheckResult,
  LoaderMemoryResult,
  NoiseTrainingStep,
  ReferenceBenchOptions,
  ReferenceBenchResult,
  TorchFigure,
} from './bench/index.ts';
