// Entry of the GPU bundle (bench/gpu/run.sh): runs the WebGPU checks and prints one JSON document.
import { runGpuCheck } from '../../main/site/train/index.ts';
import { optimizerAb, type OptimizerAbFigure } from './optimizer-ab.ts';
import { batchNormAb, type BatchNormAbFigure } from './batch-norm-ab.ts';

const size = Number(process.env.RADFED_GPU_SIZE ?? 128);
const log = (line: string) => process.stderr.write(`${line}\n`);
const result = await runGpuCheck({ size, batch: 32, log });
// The optimiser's update fused into one WGSL dispatch per tensor, and with tfjs's ops
// (RADFED_WEBGPU_FUSED_OPTIMIZER=0): dispatches and images/s, reference CNN and ResNet-18 at b32.
const fusedOptimizer: { model: string; size: number; figures?: OptimizerAbFigure[]; error?: string }[] = [];
for (const [model, px] of [
  ['reference-cnn', size],
  ['resnet-18', 224],
] as const) {
  try {
    fusedOptimizer.push({
      model,
      size: px,
      figures: await optimizerAb({ model, size: px, batch: 32, time: true, log }),
    });
  } catch (error) {
    fusedOptimizer.push({ model, size: px, error: error instanceof Error ? error.message : String(error) });
  }
}
// Batch normalisation in WGSL and with tfjs's ops (RADFED_WEBGPU_BATCH_NORM=0): dispatches and
// images/s of a ResNet-18 step at 224 px, b32.
const fusedBatchNorm: { figures?: BatchNormAbFigure[]; error?: string } = {};
try {
  fusedBatchNorm.figures = await batchNormAb({ model: 'resnet-18', size: 224, batch: 32, time: true, log });
} catch (error) {
  fusedBatchNorm.error = error instanceof Error ? error.message : String(error);
}
process.stdout.write(`${JSON.stringify({ ...result, fusedOptimizer, fusedBatchNorm }, null, 2)}\n`);
process.exit(0);
