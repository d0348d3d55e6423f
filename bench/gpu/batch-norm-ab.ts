// Batch normalisation on WebGPU, fused (main/site/train/kernels/webgpu-batch-norm.ts) against tfjs's
// ops (RADFED_WEBGPU_BATCH_NORM=0), on a model's training step (forward, backward, FusedAdam): the
// compute dispatches one step records, counted on any adapter (SwiftShader too: a count, not a
// time), and, where `time` is set (a real GPU: bench/gpu/gpu-entry.ts), images per second as
// `radfed bench train` measures them.
import { benchmarkReferenceTraining, selectBackend } from '../../main/site/train/index.ts';
import { countGpuDispatches } from '../../main/site/train/kernels/index.ts';
import { FusedAdam } from '../../main/site/train/trainer/index.ts';
import { benchStep } from './bench-step.ts';

export interface BatchNormAbOptions {
  model: string;
  size: number;
  batch: number;
  /** Also time training (batches × epochs steps per setting); only meaningful on a real GPU. */
  time?: boolean;
  log?: (line: string) => void;
}

export interface BatchNormAbFigure {
  batchNorm: 'fused' | 'ops';
  dispatchesPerStep: number;
  imagesPerSecond?: number;
}

/** One training step's dispatches, after a first step (optimiser state, uploads) outside the count. */
async function stepDispatches(model: string, size: number, batch: number): Promise<number> {
  const { trainable, loss, dispose } = benchStep(model, size, batch);
  const optimizer = new FusedAdam(1e-3);
  // Recorded, not waited for: a count needs only the recording, and SwiftShader takes minutes to run
  // one ResNet-18 step (415 s for the gradients at 32 px, batch 1, on this 2-core machine, shared).
  const step = () => {
    optimizer.minimize(loss, trainable).dispose();
  };
  try {
    step();
    return await countGpuDispatches(step);
  } finally {
    optimizer.dispose();
    dispose();
  }
}

export async function batchNormAb(options: BatchNormAbOptions): Promise<BatchNormAbFigure[]> {
  await selectBackend({ choice: 'webgpu' });
  const figures: BatchNormAbFigure[] = [];
  const before = process.env.RADFED_WEBGPU_BATCH_NORM;
  try {
    for (const batchNorm of ['ops', 'fused'] as const) {
      process.env.RADFED_WEBGPU_BATCH_NORM = batchNorm === 'ops' ? '0' : '1';
      const figure: BatchNormAbFigure = {
        batchNorm,
        dispatchesPerStep: await stepDispatches(options.model, options.size, options.batch),
      };
      if (options.time) {
        const result = await benchmarkReferenceTraining({
          backend: 'webgpu',
          model: options.model,
          size: options.size,
          batch: options.batch,
          batches: 4,
          epochs: 3,
        });
        figure.imagesPerSecond = result.imagesPerSecond;
      }
      options.log?.(
        `${options.model} ${options.size} px b${options.batch}, batch norm ${batchNorm}: ${JSON.stringify(figure)}`,
      );
      figures.push(figure);
    }
  } finally {
    if (before === undefined) delete process.env.RADFED_WEBGPU_BATCH_NORM;
    else process.env.RADFED_WEBGPU_BATCH_NORM = before;
  }
  return figures;
}
