// `radfed bench train --checkpointing`: with the memory short (its setting lowered), the default keeps
// the asked batch by recomputing activations in the backward pass and says so; `off` makes the batch
// smaller instead; a value other than auto, on or off is refused with the three named.
import { afterEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../main/site/train/backend/index.ts';
import { measureTrainingMemory, stepBytes } from '../main/site/train/models/index.ts';
import { runRadfed } from './test-cli.ts';

interface BenchJson {
  tfjs: { batch: number; memory: { checkpointing: boolean; message?: string } };
}

const bench = (...flags: string[]) =>
  runRadfed(
    'bench',
    'train',
    '--model',
    'resnet-small',
    '--backend',
    'wasm',
    '--size',
    '32',
    '--batch',
    '8',
    '--batches',
    '1',
    '--epochs',
    '1',
    '--threads',
    '1',
    '--json',
    ...flags,
  );

afterEach(() => {
  delete process.env.RADFED_TRAIN_MEMORY_MB;
});

describe('radfed bench train --checkpointing', () => {
  it('keeps the batch by recomputing activations when only that fits, unless turned off', async () => {
    await selectBackend({ choice: 'wasm', threads: 1 });
    const config = { inputSize: 32, channels: 1, numClasses: 2, seed: 0 };
    const plain = await measureTrainingMemory('resnet-small', config);
    const recomputed = await measureTrainingMemory('resnet-small', config, { checkpointing: true });
    // Between what a batch of 8 needs recomputing and what it needs as it is.
    const budget = (stepBytes(plain, 8) + stepBytes(recomputed, 8)) / 2;
    process.env.RADFED_TRAIN_MEMORY_MB = String(budget / 2 ** 20);

    const auto = await bench();
    expect(auto.status).toBe(0);
    const kept = JSON.parse(auto.out) as BenchJson;
    expect(kept.tfjs.batch).toBe(8);
    expect(kept.tfjs.memory.checkpointing).toBe(true);
    expect(kept.tfjs.memory.message).toMatch(
      /keeping the batch of 8 by recomputing activations in the backward pass/,
    );
    expect(auto.err).toContain(kept.tfjs.memory.message);

    const off = await bench('--checkpointing', 'off');
    expect(off.status).toBe(0);
    const smaller = JSON.parse(off.out) as BenchJson;
    expect(smaller.tfjs.batch).toBeLessThan(8);
    expect(smaller.tfjs.memory.checkpointing).toBe(false);
    expect(smaller.tfjs.memory.message).toMatch(/so batches of \d are used instead\.$/);
  }, 120_000);

  it('names the settings it takes', async () => {
    const run = await runRadfed('bench', 'train', '--checkpointing', 'sometimes');
    expect(run.status).toBe(2); // a usage error, as commander's other refusals
    expect(run.err).toMatch(/--checkpointing takes auto .+, on or off, not "sometimes"/);
  });
});
