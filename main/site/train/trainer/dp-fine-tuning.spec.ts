// DP fine-tuning (a task's trainableLayers under patient-level DP-SGD): the frozen tensors do not move
// at all, the trained ones do; the frozen stages run once per step on the whole sample, which must give
// the same gradients as a forward pass per patient; and the hub's count of the trained values (the d
// of the noise-to-signal rule) is the count of the tensors the trainer actually trains.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dpTrainableValueCount,
  elementCount,
  isDpTrainable,
  type DpTrainableLayers,
} from '../../../../shared/federation/index.ts';
import { selectBackend, tf } from '../backend/index.ts';
import { BatchLoader, SeededRandom, type LabelledImage } from '../data/index.ts';
import {
  createModel,
  readModelValues,
  readWeightsFiles,
  TRAINING_TASKS,
  type NamedValues,
  type TrainingTask,
} from '../models/index.ts';
import { patientDpSgdGradients } from './patient-dp-sgd.ts';
import { frozenLeadingStages, PatientDpSteps } from './patient-steps.ts';
import { trainLocalModel } from './train-local-model.ts';
import { synthesizeStudies } from '../../synth/index.ts';

const TASK: TrainingTask = {
  ...TRAINING_TASKS['chest-radiograph-nodule']!,
  id: 'test-dp-fine-tuning-32',
  model: 'resnet-small-gn',
  inputSize: 32,
};
const silent = (count: number) => new Float64Array(count);

let dir: string;
let items: LabelledImage[];
/** Weights from another seed than the trainer's own: the "pre-trained" start a task ships. */
let start: NamedValues[];

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  dir = await mkdtemp(join(tmpdir(), 'radfed-dp-fine-tuning-'));
  const corpus = await synthesizeStudies({
    outDir: join(dir, 'corpus'),
    sites: 1,
    patients: 16,
    seed: 5,
    radiographSize: 32,
    modalities: ['RADIOGRAPH'],
  });
  items = corpus.studies
    .filter((s) => !s.burnedIn)
    .flatMap((study) =>
      corpus.files
        .filter((f) => f.path.startsWith(join(study.dir, 'series-01') + sep))
        .map((f) => ({ path: f.path, label: study.label, patient: `p${study.patientIndex}` })),
    );
  const model = createModel(TASK.model, { inputSize: 32, channels: 1, numClasses: 2, seed: 99 });
  start = (await readModelValues(model)).map((t) => ({ ...t, values: Float32Array.from(t.values) }));
  model.dispose();
}, 300_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

async function fineTune(layers: DpTrainableLayers, name: string): Promise<Map<string, Float32Array>> {
  const random = new SeededRandom(4);
  const result = await trainLocalModel({
    task: TASK,
    train: items,
    validation: items.slice(0, 4),
    cacheDir: join(dir, 'cache'),
    checkpointDir: join(dir, name),
    backend: 'wasm',
    epochs: 1,
    learningRate: 0.01,
    schedule: { kind: 'constant' },
    patience: 0,
    initialWeights: start,
    patientDpSgd: {
      l2NormClip: 1,
      noiseMultiplier: 1,
      samplingRate: 0.5,
      steps: 3,
      trainableLayers: layers,
      uniform: () => random.next(),
    },
  });
  const { tensors } = await readWeightsFiles(result.bestWeights);
  return new Map(tensors.map((t) => [t.name, Float32Array.from(t.values)]));
}

describe('DP fine-tuning: only the trainable layers move', () => {
  for (const layers of ['head', 'norm-and-head'] as const) {
    it(`keeps every tensor outside '${layers}' bit for bit, and trains the ones inside`, async () => {
      const after = await fineTune(layers, `train-${layers}`);
      let moved = 0;
      for (const t of start) {
        const same = Buffer.from(after.get(t.name)!.buffer).equals(Buffer.from(t.values.buffer));
        const trained = isDpTrainable(t.name, layers) && !/moving_/.test(t.name);
        if (!trained) expect(same, `${t.name} moved`).toBe(true);
        else if (!same) moved++;
      }
      const trainedTensors = start.filter((t) => isDpTrainable(t.name, layers) && !/moving_/.test(t.name));
      expect(moved).toBe(trainedTensors.length);
    }, 300_000);
  }
});

describe('the frozen stages run once for the whole sample', () => {
  it('stop at the first stage with a trained tensor (resnet: stem and three blocks before the head)', () => {
    const model = createModel('resnet-small-gn', { inputSize: 32, channels: 1, numClasses: 2 });
    try {
      const trained = (layers: DpTrainableLayers) =>
        model.parameters.filter((p) => p.trainable && isDpTrainable(p.name, layers));
      expect(frozenLeadingStages(model, trained('head'))).toBe(4);
      expect(frozenLeadingStages(model, trained('norm-and-head'))).toBe(0);
      expect(frozenLeadingStages(model, trained('all'))).toBe(0);
    } finally {
      model.dispose();
    }
  });

  it('and give the same clipped gradients as a forward pass per patient', async () => {
    const loader = new BatchLoader({
      items,
      recipe: { size: 32, window: TASK.window },
      batchSize: 8,
      cacheDir: join(dir, 'cache'),
      augment: false,
    });
    const random = new SeededRandom(8);
    // Clip 0.05: small enough that most patients' gradients are scaled, so the norms are compared too.
    const options = { l2NormClip: 0.05, noiseMultiplier: 1, samplingRate: 0.6, steps: 1, gaussian: silent };
    const steps = new PatientDpSteps(items, loader, { ...options, uniform: () => random.next() }, 1);
    const step = (await steps.epoch(0).next()).value!;
    expect(step.imagesPerPatient.length).toBeGreaterThan(2);
    const model = createModel(TASK.model, { inputSize: 32, channels: 1, numClasses: 2, seed: 3 });
    try {
      const head = model.parameters.filter((p) => isDpTrainable(p.name, 'head'));
      const fast = tf.tidy(() => {
        const { grads } = steps.gradients(step, model, head);
        return head.map((p) => Array.from(grads[p.variable.name]!.dataSync()));
      });
      const perPatient = tf.tidy(() => {
        const x = tf.split(tf.tensor4d(step.batch.images, [step.batch.count, 32, 32, 1]), [
          ...step.imagesPerPatient,
        ]);
        const y = tf.split(tf.oneHot(tf.tensor1d(step.batch.labels, 'int32'), 2), [...step.imagesPerPatient]);
        const lossSumOf = (xs: tf.Tensor, ys: tf.Tensor) =>
          tf.losses.softmaxCrossEntropy(
            ys,
            model.logits(xs as tf.Tensor4D),
            undefined,
            undefined,
            tf.Reduction.SUM,
          ) as tf.Scalar;
        const { grads } = patientDpSgdGradients(
          lossSumOf,
          x.map((patientX, i) => ({ x: patientX, y: y[i]! })),
          head.map((p) => p.variable as tf.Variable),
          { ...options, expectedPatients: steps.expectedPatients },
        );
        return head.map((p) => Array.from(grads[p.variable.name]!.dataSync()));
      });
      expect(fast.flat().some((v) => v !== 0)).toBe(true);
      fast.flat().forEach((v, i) => expect(v).toBeCloseTo(perPatient.flat()[i]!, 6));
    } finally {
      model.dispose();
    }
  }, 300_000);
});

describe("the hub's count of the trained values", () => {
  for (const architecture of ['resnet-small', 'resnet-small-gn', 'reference-cnn']) {
    it(`is what the trainer trains in ${architecture}`, () => {
      for (const classes of [2, 5]) {
        const model = createModel(architecture, { inputSize: 64, channels: 1, numClasses: classes });
        try {
          const labels = Array.from({ length: classes }, (_, i) => `label ${i}`);
          for (const layers of ['head', 'norm-and-head'] as const) {
            const built = model.parameters
              .filter((p) => p.trainable && isDpTrainable(p.name, layers))
              .reduce((sum, p) => sum + elementCount(p.variable.shape), 0);
            expect(dpTrainableValueCount({ model: { name: architecture }, labels }, layers)).toBe(built);
          }
        } finally {
          model.dispose();
        }
      }
    });
  }
});
