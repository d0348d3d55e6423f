// A training run whose batch would not fit the backend's memory keeps it by recomputing activations
// in the backward pass, or else trains with the largest batch that does, and says so in its 'started'
// event (the memory budget is lowered through its setting).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeStudies } from '../../synth/index.ts';
import { selectBackend } from '../backend/index.ts';
import type { LabelledImage } from '../data/index.ts';
import { measureTrainingMemory, TRAINING_TASKS, type TrainingTask } from '../models/index.ts';
import type { TrainProgress } from './progress.ts';
import { trainLocalModel } from './train-local-model.ts';

const TASK: TrainingTask = {
  ...TRAINING_TASKS['chest-radiograph-nodule']!,
  id: 'test-batch-fit-32',
  inputSize: 32,
};

let dir: string;
let items: LabelledImage[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radfed-batch-fit-'));
  const corpus = await synthesizeStudies({
    outDir: join(dir, 'corpus'),
    sites: 1,
    patients: 12,
    seed: 3,
    radiographSize: 64,
    modalities: ['RADIOGRAPH'],
  });
  items = corpus.files
    .filter((f) => f.path.includes(`${sep}series-01${sep}`))
    .map((f) => ({
      path: f.path,
      label: corpus.studies.find((s) => f.path.startsWith(s.dir + sep))!.label,
      patient: `p${f.patientIndex}`,
    }));
}, 120_000);

afterAll(async () => {
  delete process.env.RADFED_TRAIN_MEMORY_MB;
  await rm(dir, { recursive: true, force: true });
});

describe('the batch a training run takes', () => {
  it('is the largest that fits when the task’s would not, with a sentence saying so', async () => {
    await selectBackend({ choice: 'wasm' });
    const memory = await measureTrainingMemory(TASK.model, { inputSize: 32, channels: 1, numClasses: 2 });
    // Room for three images and a half: a batch of 8 does not fit, 3 does.
    const budget = memory.fixedBytes + 3.5 * memory.perImageBytes;
    process.env.RADFED_TRAIN_MEMORY_MB = String(budget / 2 ** 20);
    const events: TrainProgress[] = [];
    await trainLocalModel({
      task: TASK,
      train: items.slice(0, 8),
      validation: items.slice(8),
      cacheDir: join(dir, 'cache'),
      checkpointDir: join(dir, 'run'),
      backend: 'wasm',
      epochs: 1,
      batchSize: 8,
      checkpointing: 'off',
      onProgress: (e) => events.push(e),
    });
    const started = events.find((e) => e.type === 'started');
    expect(started).toMatchObject({ batchSize: 3, batchesPerEpoch: 3 });
    expect(started && 'memoryNote' in started ? started.memoryNote : '').toMatch(
      /^Training resnet-small at 32 px takes about \d+ MB per image; a batch of 8 would need .+, so batches of 3 are used instead\.$/,
    );
  }, 120_000);

  it('is the task’s, activations recomputed, when only that fits, with a sentence saying so', async () => {
    await selectBackend({ choice: 'wasm' });
    const config = { inputSize: 32, channels: 1, numClasses: 2 };
    const plain = await measureTrainingMemory(TASK.model, config);
    const recomputed = await measureTrainingMemory(TASK.model, config, { checkpointing: true });
    const need = (m: typeof plain) => m.fixedBytes + 8 * m.perImageBytes;
    expect(need(recomputed)).toBeLessThan(need(plain));
    process.env.RADFED_TRAIN_MEMORY_MB = String((need(recomputed) + need(plain)) / 2 / 2 ** 20);
    const events: TrainProgress[] = [];
    const result = await trainLocalModel({
      task: TASK,
      train: items.slice(0, 8),
      validation: items.slice(8),
      cacheDir: join(dir, 'cache'),
      checkpointDir: join(dir, 'run-recomputed'),
      backend: 'wasm',
      epochs: 1,
      batchSize: 8,
      onProgress: (e) => events.push(e),
    });
    expect(Number.isFinite(result.epochs[0]!.trainLoss)).toBe(true);
    const started = events.find((e) => e.type === 'started');
    expect(started).toMatchObject({ batchSize: 8, batchesPerEpoch: 1 });
    expect(started && 'memoryNote' in started ? started.memoryNote : '').toMatch(
      /^Training resnet-small at 32 px needs .+ for a batch of 8 and this backend can give training .+: keeping the batch of 8 by recomputing activations in the backward pass \(.+; needs .+\)\.$/,
    );
  }, 120_000);

  it('refuses a checkpointing setting other than auto, on or off, saying which to choose', async () => {
    await expect(
      trainLocalModel({
        task: TASK,
        train: items.slice(0, 8),
        validation: items.slice(8),
        cacheDir: join(dir, 'cache'),
        checkpointDir: join(dir, 'run-refused'),
        backend: 'wasm',
        checkpointing: 'sometimes' as 'auto',
      }),
    ).rejects.toThrow('The checkpointing setting is "sometimes"; choose one of auto, on, off.');
  });
});
