// `radfed bench train --profile` on a tiny run: images per second, the kernels of one step, and the
// step split into forward, backward and optimizer, for each model with a PyTorch reference.
import { expect, it } from 'vitest';
import { benchmarkReferenceTraining } from './reference-benchmark.ts';

it.each(['reference-cnn', 'densenet-121'])(
  'profiles one %s step by kernel and by phase',
  async (model) => {
    const result = await benchmarkReferenceTraining({
      backend: 'wasm',
      model,
      size: 32,
      batch: 2,
      batches: 1,
      epochs: 2,
      threads: 1,
      profile: true,
    });
    expect(result.batch).toBe(2);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
    expect(result.kernels?.length).toBeGreaterThan(3);
    const { forwardMs, backwardMs, optimizerMs } = result.phases!;
    for (const ms of [forwardMs, backwardMs, optimizerMs]) expect(ms).toBeGreaterThanOrEqual(0);
    expect(forwardMs).toBeGreaterThan(0);
    expect(result.memory.perImageBytes).toBeGreaterThan(0);
  },
  120_000,
);
