// The trainer in patient-level DP-SGD mode, end to end on synthetic studies: it learns an easy task
// with noise on (resnet-small-gn, group norm); it runs exactly the steps it was given, each a Poisson
// sample of patients; and on a batch-norm model it leaves the running statistics where they were
// (frozen: they would otherwise leave the site without noise).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeStudies } from '../../synth/index.ts';
import { SeededRandom, type LabelledImage } from '../data/index.ts';
import { readWeightsFiles, TRAINING_TASKS, type TrainingTask } from '../models/index.ts';
import type { TrainProgress } from './progress.ts';
import { trainLocalModel } from './train-local-model.ts';

// An easy task, so a short run shows learning: is the image a CT slice (label 1) or a radiograph?
// Each CT study has several slices of one patient: patients with several images, one record each.
const TASK: TrainingTask = {
  ...TRAINING_TASKS['chest-radiograph-nodule']!,
  id: 'test-patient-dp-32',
  model: 'resnet-small-gn',
  inputSize: 32,
  labels: ['radiograph', 'ct'],
};

let dir: string;
let train: LabelledImage[];
let validation: LabelledImage[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radfed-patient-dp-'));
  const corpus = await synthesizeStudies({
    outDir: join(dir, 'corpus'),
    sites: 2,
    patients: 40,
    seed: 12,
    ctSlices: 3,
    ctMatrix: 48,
    radiographSize: 48,
  });
  const items = corpus.files
    .filter((f) => f.path.includes(`${sep}series-01${sep}`))
    .map((f) => ({ file: f, study: corpus.studies.find((s) => f.path.startsWith(s.dir + sep))! }))
    .filter(({ study }) => !study.burnedIn)
    .map(({ file: f, study }) => ({
      path: f.path,
      label: study.kind === 'CT' ? 1 : 0,
      patient: `${f.site}-${f.patientIndex}`,
    }));
  validation = items.filter((i) => Number(i.patient.split('-').pop()) % 4 === 0);
  train = items.filter((i) => Number(i.patient.split('-').pop()) % 4 !== 0);
}, 300_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('trainLocalModel with patient-level DP-SGD', () => {
  it('learns an easy task with noise on, in the steps it was given, a patient of several images as one', async () => {
    const events: TrainProgress[] = [];
    const random = new SeededRandom(3);
    const patients = new Set(train.map((i) => i.patient)).size;
    const result = await trainLocalModel({
      task: TASK,
      train,
      validation,
      cacheDir: join(dir, 'cache'),
      checkpointDir: join(dir, 'learn'),
      backend: 'wasm',
      epochs: 4,
      learningRate: 2e-3,
      schedule: { kind: 'constant' },
      augment: false,
      monitor: 'auc',
      patience: 0,
      seed: 1,
      // σ = 0.5 at q = 0.25: noise of std σC on the sum of about 15 clipped patient gradients.
      patientDpSgd: {
        l2NormClip: 1,
        noiseMultiplier: 0.5,
        samplingRate: 0.25,
        steps: 20,
        uniform: () => random.next(),
      },
      onProgress: (e) => events.push(e),
    });
    expect(train.length).toBeGreaterThan(patients); // CT patients bring several slices each
    expect(events.filter((e) => e.type === 'batch')).toHaveLength(20);
    expect(result.best.auc).toBeGreaterThanOrEqual(0.9);
  }, 600_000);

  it('leaves batch-norm running statistics as they were (resnet-small)', async () => {
    const result = await trainLocalModel({
      task: { ...TASK, model: 'resnet-small' },
      train: train.slice(0, 20),
      validation: validation.slice(0, 4),
      cacheDir: join(dir, 'cache'),
      checkpointDir: join(dir, 'frozen'),
      backend: 'wasm',
      epochs: 1,
      patience: 0,
      patientDpSgd: { l2NormClip: 1, noiseMultiplier: 1, samplingRate: 0.5, steps: 2 },
    });
    const { tensors } = await readWeightsFiles(result.bestWeights);
    const running = tensors.filter((t) => /moving_(mean|variance)$/.test(t.name));
    expect(running.length).toBeGreaterThan(0);
    for (const t of running) {
      const initial = t.name.endsWith('moving_mean') ? 0 : 1;
      expect(Array.from(t.values).every((v) => v === initial)).toBe(true);
    }
  }, 300_000);
});
