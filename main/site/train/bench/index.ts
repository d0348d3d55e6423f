// Benchmarks of the engine: reference-CNN training throughput (with the PyTorch reference beside it)
// and the data path's memory over a large cohort.
export { benchmarkReferenceTraining, median } from './reference-benchmark.ts';
export type {
  EpochFigure,
  KernelFigure,
  ReferenceBenchOptions,
  ReferenceBenchResult,
  StepPhases,
} from './reference-benchmark.ts';
export {
  defaultPython,
  defaultTorchScript,
  runTorchReference,
  TORCH_REFERENCE_MODELS,
} from './torch-reference.ts';
export type { TorchFigure } from './torch-reference.ts';
export { benchmarkLoaderMemory } from './loader-memory.ts';
export type { LoaderMemoryOptions, LoaderMemoryResult, MemorySample } from './loader-memory.ts';
export { runGpuCheck } from './gpu-check.ts';
export type { GpuCheckResult } from './gpu-check.ts';
export { cpuSimd } from './cpu-simd.ts';
export { noiseTrainingStep } from './noise-training-step.ts';
export type { NoiseTrainingStep } from './noise-training-step.ts';
export type { CpuSimd } from './cpu-simd.ts';
