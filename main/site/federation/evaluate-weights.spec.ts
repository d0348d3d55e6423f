// The evaluation of a model on labelled images stays within the backend's memory whatever batch its
// caller asks for: the realistic demo asked for its whole test set (432 radiographs at 256 px through
// ResNet-18) in one batch, which overran WebAssembly's 4 GiB and never finished (issue 21). The memory
// budget is lowered through its setting so that a small model shows the same thing in a second.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeStudies } from '../synth/index.ts';
import {
  measureTrainingMemory,
  selectBackend,
  tf,
  TRAINING_TASKS,
  type LabelledImage,
  type TrainingTask,
} from '../train/index.ts';
import { evaluateWeights } from './evaluate-weights.ts';
import { initialModelWeights } from './training-task.ts';

const TASK: TrainingTask = {
  ...TRAINING_TASKS['chest-radiograph-nodule']!,
  id: 'test-evaluate-weights-32',
  inputSize: 32,
};
const CONFIG = { inputSize: 32, channels: 1, numClasses: 2 };

let dir: string;
let items: LabelledImage[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radfed-evaluate-weights-'));
  const corpus = await synthesizeStudies({
    outDir: join(dir, 'corpus'),
    sites: 1,
    patients: 24,
    seed: 5,
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

describe('evaluateWeights', () => {
  it('evaluates in batches that fit the backend’s memory when asked for all images at once', async () => {
    await selectBackend({ choice: 'wasm' });
    const weights = await initialModelWeights(TASK, 1);
    const memory = await measureTrainingMemory(TASK.model, CONFIG);
    // Room for three and a half images of a training step: far less than all of them in one batch.
    const budget = memory.fixedBytes + 3.5 * memory.perImageBytes;
    expect(items.length).toBeGreaterThanOrEqual(20);
    const evaluate = (batchSize: number) =>
      evaluateWeights({
        task: TASK,
        weights,
        items,
        cacheDir: join(dir, 'cache'),
        batchSize,
        backend: 'wasm',
      });
    const inBatchesOfThree = await evaluate(3);

    process.env.RADFED_TRAIN_MEMORY_MB = String(budget / 2 ** 20);
    const before = tf.memory().numBytes;
    let allAtOnce: Awaited<ReturnType<typeof evaluate>> | undefined;
    const profile = await tf.profile(async () => {
      allAtOnce = await evaluate(items.length);
    });
    delete process.env.RADFED_TRAIN_MEMORY_MB;

    expect(profile.peakBytes - before).toBeLessThanOrEqual(budget);
    // Smaller batches, the same figures (inference: batch statistics are frozen).
    expect(allAtOnce!.n).toBe(items.length);
    expect(allAtOnce!.auc).toBe(inBatchesOfThree.auc);
    expect(allAtOnce!.accuracy).toBe(inBatchesOfThree.accuracy);
    expect(allAtOnce!.loss).toBeCloseTo(inBatchesOfThree.loss, 5);
    expect(tf.memory().numBytes).toBe(before);
  }, 120_000);
});
