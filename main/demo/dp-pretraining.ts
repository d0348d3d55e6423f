// The public model DP fine-tuning starts from (docs/differential-privacy.md, "DP fine-tuning"): the
// coordinator trains the task's model, without DP, on data no site contributes, and ships it as the
// task's initial weights. Here that data is the synthetic generator's radiographs under ANOTHER seed
// (other patients, anatomy and nodules than any hospital's) at one standard console; a real
// federation would use a public chest radiograph collection. Nothing of it is private, so it spends no
// privacy budget: the sites' ε counts only their own DP-SGD steps.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { decodeWeights, encodeWeights, type NamedTensor } from '../../shared/federation/index.ts';
import { writeFileAtomically } from '../../shared/node/index.ts';
import { readTrainedWeights, toNamedValues } from '../site/federation/index.ts';
import { synthesizeStudies } from '../site/synth/index.ts';
import { trainLocalModel, type LabelledImage, type TrainingTask } from '../site/train/index.ts';
import { DEMO_DEFAULTS } from './demo-options.ts';

/** Far from the demo's seed, so no public patient is one of a hospital's. */
export const PUBLIC_DATA_SEED = DEMO_DEFAULTS.seed + 7919;

export interface PublicPretrainingOptions {
  readonly task: TrainingTask;
  /** The fresh weights pre-training starts from (also the layout of what it returns). */
  readonly initial: readonly NamedTensor[];
  readonly patients: number;
  readonly epochs: number;
  readonly workDir: string;
  readonly threads?: number;
  /**
   * An RFW1 weights file: read instead of pre-training when it exists, written after pre-training when
   * not. The same file is what a coordinator passes to `radfed hub task create --weights`.
   */
  readonly modelFile?: string;
  readonly say?: (line: string) => void;
}

/** The task's model trained on public synthetic radiographs: the initial weights of a DP fine-tuning task. */
export async function pretrainOnPublicData(options: PublicPretrainingOptions): Promise<NamedTensor[]> {
  if (options.modelFile && existsSync(options.modelFile)) {
    options.say?.(`public model read from ${options.modelFile}`);
    return decodeWeights(readFileSync(options.modelFile));
  }
  rmSync(options.workDir, { recursive: true, force: true });
  mkdirSync(options.workDir, { recursive: true });
  const synth = await synthesizeStudies({
    outDir: join(options.workDir, 'studies'),
    sites: 1,
    patients: options.patients,
    seed: PUBLIC_DATA_SEED,
    radiographSize: options.task.inputSize,
    modalities: ['RADIOGRAPH'],
  });
  const items: LabelledImage[] = [];
  for (const study of synth.studies) {
    if (study.burnedIn) continue;
    const prefix = join(study.dir, 'series-01') + sep;
    for (const file of synth.files.filter((f) => f.path.startsWith(prefix))) {
      items.push({ path: file.path, label: study.label, patient: `public-p${study.patientIndex}` });
    }
  }
  const checkpointDir = join(options.workDir, 'checkpoints');
  const started = performance.now();
  await trainLocalModel({
    task: options.task,
    train: items,
    // The trainer evaluates after each epoch; the model is judged later on the sites' pooled test set.
    validation: items.slice(0, 8),
    cacheDir: join(options.workDir, 'cache'),
    checkpointDir,
    ...(options.threads ? { threads: options.threads } : {}),
    epochs: options.epochs,
    batchSize: DEMO_DEFAULTS.batchSize,
    learningRate: DEMO_DEFAULTS.learningRate,
    patience: 0,
    seed: PUBLIC_DATA_SEED,
    initialWeights: toNamedValues(options.initial),
  });
  const last = join(checkpointDir, `epoch-${String(options.epochs).padStart(4, '0')}`, 'model');
  const weights = await readTrainedWeights(last, options.initial);
  // Atomically: a run stopped while writing must not leave a torn file that later runs would read.
  if (options.modelFile) {
    mkdirSync(dirname(options.modelFile), { recursive: true });
    writeFileAtomically(options.modelFile, encodeWeights(weights));
  }
  options.say?.(
    `pre-trained ${options.task.model} on ${items.length} public radiographs of ${options.patients} patients, ` +
      `${options.epochs} epochs, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  return weights;
}

/**
 * The public model's cache file: one per model, image size, public seed, patients and epochs, so a
 * demo at another size or with another pre-training never reads a model that does not fit it.
 */
export function publicModelFileName(task: TrainingTask, patients: number, epochs: number): string {
  return `public-${task.model}-${task.inputSize}px-seed${PUBLIC_DATA_SEED}-${patients}p-${epochs}e.rfw`;
}
