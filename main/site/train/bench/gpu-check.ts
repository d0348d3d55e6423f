// The checks a GPU machine runs (bench/gpu/run.sh): the WebGPU filter-gradient kernels against the
// CPU backend, then the reference CNN's training throughput with each filter gradient (tfjs's stock
// kernel, the composed matrix product, the WGSL split-K shader), then ResNet-18 and DenseNet-121 at
// 224 px. Nothing here runs without an adapter.
import { selectBackend, tf, type BackendReport } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { registerTrainingKernels, type WebgpuFilterGrad } from '../kernels/index.ts';
import { benchmarkReferenceTraining, type ReferenceBenchResult } from './reference-benchmark.ts';

export interface GpuCheckResult {
  backend: BackendReport;
  correctness: { variant: WebgpuFilterGrad; case: string; relativeError: number }[];
  throughput: { variant: WebgpuFilterGrad; result: Omit<ReferenceBenchResult, 'report'> }[];
  /** The models of real size (issue 21's table: ResNet-18 and DenseNet-121 at 224 px, b32), tfjs's kernels. */
  largeModels: {
    model: string;
    size: number;
    result?: Omit<ReferenceBenchResult, 'report'>;
    error?: string;
  }[];
}

/** What bench/gpu/run.sh also trains on the GPU, beside the PyTorch CUDA references of the same models. */
const LARGE_MODELS = ['resnet-18', 'densenet-121'] as const;
const LARGE_SIZE = 224;

const CASES: {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}[] = [
  { x: [32, 128, 128, 1], filter: [3, 3, 1, 16], strides: 1, pad: 'same' },
  { x: [32, 64, 64, 16], filter: [3, 3, 16, 32], strides: 1, pad: 'same' },
  { x: [8, 33, 31, 5], filter: [3, 2, 5, 7], strides: 2, pad: 'valid' },
  { x: [3, 17, 19, 4], filter: [4, 4, 4, 3], strides: 2, pad: 'same' },
];

export async function runGpuCheck(options: {
  size?: number;
  batch?: number;
  batches?: number;
  epochs?: number;
  log?: (line: string) => void;
}): Promise<GpuCheckResult> {
  const log = options.log ?? (() => {});
  const backend = await selectBackend({ choice: 'webgpu' });
  log(`WebGPU on ${backend.device}`);
  const correctness: GpuCheckResult['correctness'] = [];
  const random = new SeededRandom(5);
  for (const c of CASES) {
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
    const xValues = random.floats(c.x.reduce((p, s) => p * s, 1));
    await tf.setBackend('cpu');
    const dyShape = tf.tidy(
      () =>
        tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape,
    );
    const dyValues = random.floats(dyShape.reduce((p, s) => p * s, 1));
    // Read back asynchronously: WebGPU in Node has no synchronous read (tfjs would need OffscreenCanvas).
    const run = async () => {
      const result = tf.tidy(
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: tf.tensor(xValues, c.x), dy: tf.tensor(dyValues, dyShape) },
              attrs as never,
            ) as tf.Tensor,
      );
      const values = await result.data();
      result.dispose();
      return values;
    };
    const expected = await run();
    await tf.setBackend('webgpu');
    for (const variant of ['matmul', 'splitk'] as const) {
      registerTrainingKernels('webgpu', variant);
      const actual = await run();
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < expected.length; i++) {
        diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
        scale = Math.max(scale, Math.abs(expected[i]!));
      }
      correctness.push({ variant, case: JSON.stringify(c), relativeError: diff / (scale || 1) });
      log(`${variant} ${JSON.stringify(c)}: relative error ${(diff / (scale || 1)).toExponential(2)}`);
    }
  }
  const throughput: GpuCheckResult['throughput'] = [];
  for (const variant of ['stock', 'matmul', 'splitk'] as const) {
    process.env.RADFED_WEBGPU_FILTER_GRAD = variant;
    const { report: _report, ...result } = await benchmarkReferenceTraining({
      backend: 'webgpu',
      size: options.size ?? 128,
      batch: options.batch ?? 32,
      batches: options.batches ?? 8,
      epochs: options.epochs ?? 3,
      profile: true,
    });
    throughput.push({ variant, result });
    log(`${variant}: ${result.imagesPerSecond} images/s`);
  }
  delete process.env.RADFED_WEBGPU_FILTER_GRAD;
  const largeModels: GpuCheckResult['largeModels'] = [];
  for (const model of LARGE_MODELS) {
    // One model failing (an adapter short of memory) must not lose the figures already measured.
    try {
      const { report: _report, ...result } = await benchmarkReferenceTraining({
        backend: 'webgpu',
        model,
        size: LARGE_SIZE,
        batch: options.batch ?? 32,
        batches: 4,
        epochs: 3,
      });
      largeModels.push({ model, size: LARGE_SIZE, result });
      log(`${model} at ${LARGE_SIZE} px: ${result.imagesPerSecond} images/s`);
    } catch (error) {
      largeModels.push({
        model,
        size: LARGE_SIZE,
        error: error instanceof Error ? error.message : String(error),
      });
      log(`${model} at ${LARGE_SIZE} px failed: ${String(error)}`);
    }
  }
  return { backend, correctness, throughput, largeModels };
}
