// Times the evaluation of several models in a row on one test set, as the demo scores every model
// (issue 21: the realistic demo's evaluation on its 432 test radiographs did not finish in 40 minutes).
// Prints seconds per model, tf.memory() and the process's resident memory after each.
//   npx tsx bench/evaluate-timing.ts [--patients 20] [--size 256] [--model resnet-18] [--models 3]
//     [--batch 32 | all] [--threads N]
// --patients is per site (3 sites); --batch all asks for the whole test set in one batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateWeights, initialModelWeights } from '../main/site/federation/index.ts';
import { synthesizeStudies } from '../main/site/synth/index.ts';
import { tf, type TrainingTask } from '../main/site/train/index.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '20' },
    size: { type: 'string', default: '256' },
    model: { type: 'string', default: 'resnet-18' },
    models: { type: 'string', default: '3' },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string' },
  },
});
const size = Number(values.size);
const root = mkdtempSync(join(tmpdir(), 'radfed-eval-timing-'));
try {
  const started = performance.now();
  // The demo's radiographs (its scanners' console styles aside), one per patient.
  const corpus = await synthesizeStudies({
    outDir: join(root, 'studies'),
    sites: 3,
    patients: Number(values.patients),
    seed: 2024,
    radiographSize: size,
    modalities: ['RADIOGRAPH'],
  });
  const test = corpus.files
    .filter((f) => f.path.includes(`${sep}series-01${sep}`))
    .map((f) => ({
      path: f.path,
      label: corpus.studies.find((s) => f.path.startsWith(s.dir + sep))!.label,
      patient: `${f.site}-p${f.patientIndex}`,
    }));
  const synthSeconds = (performance.now() - started) / 1000;
  console.log(`test set: ${test.length} images at ${size} px (${synthSeconds.toFixed(1)} s to synthesise)`);
  const task: TrainingTask = {
    id: 'timing',
    title: 'timing',
    model: values.model as TrainingTask['model'],
    inputSize: size,
    labels: ['normal', 'nodule'],
    window: 'auto',
  };
  for (let m = 0; m < Number(values.models); m++) {
    const weights = await initialModelWeights(task, m);
    const t0 = performance.now();
    const result = await evaluateWeights({
      task,
      weights,
      items: test,
      cacheDir: join(root, 'cache'),
      batchSize: values.batch === 'all' ? test.length : Number(values.batch),
      ...(values.threads ? { threads: Number(values.threads) } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    const mem = tf.memory();
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(
      `model ${m + 1}: ${seconds.toFixed(1)} s on ${tf.getBackend()}, auc ${result.auc?.toFixed(3)}, n ${result.n}; ` +
        `tensors ${mem.numTensors}, ${(mem.numBytes / 2 ** 20).toFixed(1)} MiB; rss ${rss.toFixed(0)} MiB`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
