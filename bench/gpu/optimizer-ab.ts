// The optimiser's update on WebGPU, fused (one WGSL dispatch per weight tensor,
// main/site/train/kernels/webgpu-optimizer.ts) against tfjs's ops (RADFED_WEBGPU_FUSED_OPTIMIZER=0):
// the compute dispatches of one whole training step and of its update alone, counted on any adapter
// (SwiftShader too: a count, not a time), and, where `time` is set (a real GPU: gpu-entry.ts), images
// per second as `radfed bench train` measures them.
// bench/gpu/optimizer-dispatches.ts prints the counts from the command line.
import {
  benchmarkReferenceTraining,
  createOptimizer,
  selectBackend,
  tf,
  type OptimizerName,
} from '../../main/site/train/index.ts';
import { countGpuDispatches } from '../../main/site/train/kernels/index.ts';
import { benchStep } from './bench-step.ts';

export interface OptimizerAbOptions {
  model: string;
  size: number;
  batch: number;
  optimizer?: OptimizerName;
  /** Which updates to measure (default both: ops, then fused). */
  updates?: readonly ('ops' | 'fused')[];
  /** Also time training (4 batches × 3 epochs per setting); only meaningful on a real GPU. */
  time?: boolean;
  log?: (line: string) => void;
}

export interface OptimizerAbFigure {
  update: 'fused' | 'ops';
  weightTensors: number;
  /** Forward, backward and update of one step. */
  dispatchesPerStep: number;
  /** The update alone (gradients already queued). */
  dispatchesPerUpdate: number;
  imagesPerSecond?: number;
}

/** One step's dispatches and its update's, after a first step (shader compilation, state) outside the count. */
async function countStep(options: OptimizerAbOptions): Promise<Omit<OptimizerAbFigure, 'update'>> {
  const { model, size, batch } = options;
  const { trainable, loss, dispose } = benchStep(model, size, batch);
  const optimizer = createOptimizer(options.optimizer ?? 'adam', 1e-3);
  const step = async () => {
    const value = optimizer.minimize(loss, trainable);
    await value.data();
    value.dispose();
  };
  try {
    await step();
    const dispatchesPerStep = await countGpuDispatches(step);
    const { value, grads } = tf.variableGrads(
      loss,
      trainable.map((p) => p.variable),
    );
    const dispatchesPerUpdate = await countGpuDispatches(() =>
      optimizer.applyGradients(value, grads, trainable).dispose(),
    );
    return { weightTensors: trainable.length, dispatchesPerStep, dispatchesPerUpdate };
  } finally {
    optimizer.dispose();
    dispose();
  }
}

export async function optimizerAb(options: OptimizerAbOptions): Promise<OptimizerAbFigure[]> {
  await selectBackend({ choice: 'webgpu' });
  const figures: OptimizerAbFigure[] = [];
  const before = process.env.RADFED_WEBGPU_FUSED_OPTIMIZER;
  try {
    for (const update of options.updates ?? (['ops', 'fused'] as const)) {
      process.env.RADFED_WEBGPU_FUSED_OPTIMIZER = update === 'ops' ? '0' : '1';
      const figure: OptimizerAbFigure = { update, ...(await countStep(options)) };
      if (options.time) {
        const result = await benchmarkReferenceTraining({
          backend: 'webgpu',
          model: options.model,
          optimizer: options.optimizer,
          size: options.size,
          batch: options.batch,
          batches: 4,
          epochs: 3,
        });
        figure.imagesPerSecond = result.imagesPerSecond;
      }
      const name = `${options.model} ${options.size} px b${options.batch}, ${options.optimizer ?? 'adam'}`;
      options.log?.(`${name}, update ${update}: ${JSON.stringify(figure)}`);
      figures.push(figure);
    }
  } finally {
    if (before === undefined) delete process.env.RADFED_WEBGPU_FUSED_OPTIMIZER;
    else process.env.RADFED_WEBGPU_FUSED_OPTIMIZER = before;
  }
  return figures;
}
