// The whole training loop on WebGPU: the same run (task, images, seed, batch order) on the JavaScript
// CPU backend and on WebGPU ends with the same weights, so every kernel the step dispatches there (ours
// and tfjs's, forward, backward, batch norm, the optimiser) and every read the loop makes works on it.
// In CI the adapter is SwiftShader, a software GPU (scripts/software-webgpu.ts); without any adapter the
// spec says so by name, and the kernels' own specs and the CPU runs cover the same code.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeStudies } from '../../synth/index.ts';
import { probeDawn, selectBackend } from '../backend/index.ts';
import type { LabelledImage } from '../data/index.ts';
import { TRAINING_TASKS, createModel, readWeightsFiles, type TrainingTask } from '../models/index.ts';
import { trainLocalModel } from './train-local-model.ts';

const dawn = await probeDawn();

const TASK: TrainingTask = {
  ...TRAINING_TASKS['chest-radiograph-nodule']!,
  id: 'test-radiograph-webgpu',
  // Small, because a software GPU is slow: the point is every kernel and read, not the size.
  inputSize: 16,
};

let dir: string;
let train: LabelledImage[];
let validation: LabelledImage[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radfed-webgpu-trainer-'));
  const corpus = await synthesizeStudies({
    outDir: join(dir, 'corpus'),
    sites: 1,
    patients: 24,
    seed: 5,
    radiographSize: 64,
    modalities: ['RADIOGRAPH'],
  });
  const items = corpus.files
    .filter((f) => f.path.includes(`${sep}series-01${sep}`))
    .map((f) => ({ file: f, study: corpus.studies.find((s) => f.path.startsWith(s.dir + sep))! }))
    .filter(({ study }) => !study.burnedIn)
    .map(({ file: f, study }) => ({
      path: f.path,
      label: study.label,
      patient: `${f.site}-${f.patientIndex}`,
    }));
  validation = items.filter((i) => Number(i.patient.split('-').pop()) % 4 === 0).slice(0, 4);
  train = items.filter((i) => Number(i.patient.split('-').pop()) % 4 !== 0).slice(0, 8);
}, 300_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

async function trainOn(backend: 'cpu' | 'webgpu') {
  const result = await trainLocalModel({
    task: TASK,
    train,
    validation,
    cacheDir: join(dir, 'cache'),
    checkpointDir: join(dir, backend),
    backend,
    epochs: 2,
    batchSize: 4,
    learningRate: 1e-3,
    schedule: { kind: 'constant' },
    augment: false,
    patience: 0,
    seed: 3,
  });
  const weights = await readWeightsFiles(result.bestWeights);
  return { result, weights };
}

describe('training on WebGPU', () => {
  it.skipIf(!dawn.ok)(
    'ends with the weights the CPU backend ends with, from the same start and batches (needs a WebGPU adapter)',
    async () => {
      const cpu = await trainOn('cpu');
      const gpu = await trainOn('webgpu');
      expect(gpu.result.backend.name).toBe('webgpu');
      expect(gpu.result.epochs).toHaveLength(2);
      // The saved weights are the best epoch's: the same epoch on both, or they are not comparable.
      expect(gpu.result.bestEpoch).toBe(cpu.result.bestEpoch);
      for (const [i, epoch] of gpu.result.epochs.entries()) {
        expect(Math.abs(epoch.trainLoss - cpu.result.epochs[i]!.trainLoss)).toBeLessThan(
          0.01 * epoch.trainLoss,
        );
      }
      // Compare what training changed, not the weights (a wrong gradient still moves each weight by at
      // most a few learning rates): the run's change on WebGPU against the CPU's, over all weights.
      // Adam's steps on near-zero gradients differ in sign from tiny float differences, hence a norm
      // (SwiftShader, 2026-12-07: 7.9e-3; a wrong gradient gives ~1).
      await selectBackend({ choice: 'cpu' });
      const start = createModel(TASK.model, {
        inputSize: TASK.inputSize,
        channels: 1,
        numClasses: 2,
        seed: 3,
      });
      const initial = new Map(start.parameters.map((p) => [p.name, p.variable.dataSync()]));
      start.dispose();
      const cpuValues = new Map(cpu.weights.tensors.map((t) => [t.name, t.values]));
      expect(gpu.weights.tensors.map((t) => t.name)).toEqual(cpu.weights.tensors.map((t) => t.name));
      let difference = 0;
      let change = 0;
      for (const tensor of gpu.weights.tensors) {
        const w0 = initial.get(tensor.name)!;
        const onCpu = cpuValues.get(tensor.name)!;
        for (let i = 0; i < w0.length; i++) {
          difference += (tensor.values[i]! - onCpu[i]!) ** 2;
          change += (onCpu[i]! - w0[i]!) ** 2;
        }
      }
      expect(change).toBeGreaterThan(0);
      const ratio = Math.sqrt(difference / change);
      expect(ratio, `|Δ WebGPU − Δ CPU| / |Δ CPU| = ${ratio.toExponential(2)}`).toBeLessThan(0.05);
    },
    600_000,
  );
});
