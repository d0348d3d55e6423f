// The trainer's optimizer option: SGD with momentum trains, checkpoints its momentum and resumes from
// it; a checkpoint of one optimiser is not resumed by a run with another.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { synthesizeStudies } from '../../synth/index.ts';
import type { LabelledImage } from '../data/index.ts';
import { readWeightsFiles, TRAINING_TASKS, type TrainingTask } from '../models/index.ts';
import { trainLocalModel } from './train-local-model.ts';

const TASK: TrainingTask = {
  ...TRAINING_TASKS['chest-radiograph-nodule']!,
  id: 'test-radiograph-32',
  model: 'reference-cnn',
  inputSize: 32,
};

let dir: string;
let items: LabelledImage[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radfed-optimizer-'));
  const corpus = await synthesizeStudies({
    outDir: join(dir, 'corpus'),
    sites: 1,
    patients: 16,
    seed: 5,
    radiographSize: 64,
    modalities: ['RADIOGRAPH'],
  });
  items = corpus.files
    .filter((f) => f.path.includes(`${sep}series-01${sep}`)) // the radiograph, not a secondary capture
    .map((f) => ({
      path: f.path,
      label: corpus.studies.find((s) => f.path.startsWith(s.dir + sep))!.label,
      patient: `${f.site}-${f.patientIndex}`,
    }));
}, 120_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

it('trains with SGD with momentum, resumes its checkpoint, and refuses it to a run with Adam', async () => {
  const common = {
    task: TASK,
    train: items.slice(4),
    validation: items.slice(0, 4),
    cacheDir: join(dir, 'cache'),
    checkpointDir: join(dir, 'sgd'),
    backend: 'wasm' as const,
    batchSize: 4,
    learningRate: 0.01,
    patience: 0,
    optimizer: 'sgd-momentum' as const,
  };
  const first = await trainLocalModel({ ...common, epochs: 1 });
  expect(Number.isFinite(first.epochs[0]!.trainLoss)).toBe(true);
  // The checkpoint names the optimiser whose state it holds (it said 'adam' for every optimiser).
  const pointer = JSON.parse(await readFile(join(dir, 'sgd', 'latest.json'), 'utf8')) as { latest: string };
  const saved = await readWeightsFiles(join(dir, 'sgd', pointer.latest, 'optimizer'));
  expect(saved.manifest.meta).toMatchObject({ kind: 'optimizer', name: 'sgd-momentum' });
  // The momentum saved with epoch 1 is restored (a checkpoint without it would be refused).
  const resumed = await trainLocalModel({ ...common, epochs: 2 });
  expect(resumed.resumedFromEpoch).toBe(1);
  expect(resumed.epochs.map((e) => e.epoch)).toEqual([0, 1]);
  // Refused as another run (its fingerprint names the optimiser), before Adam would read SGD's state.
  await expect(trainLocalModel({ ...common, epochs: 3, optimizer: 'adam' })).rejects.toThrow(
    /holds another training run/,
  );
}, 300_000);
