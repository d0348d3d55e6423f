// `radfed demo --scale realistic`: the main job at the size radiology trains, hundreds of patients per
// hospital at 256 px with ResNet-18, instead of the default's 90 patients at 64 px with a 0.3 M-weight
// network; and the time such a run takes on this machine, estimated before it starts from one timed
// training step, since on two CPU cores it is hours, not minutes.
import { noiseTrainingStep, selectBackend, type BackendChoice } from '../site/train/index.ts';
import type { DemoSettings } from './demo-options.ts';

export const DEMO_SCALES = ['default', 'realistic'] as const;
export type DemoScale = (typeof DEMO_SCALES)[number];

/** What --scale realistic changes; flags given on the command line still win. */
export const DEMO_REALISTIC_PRESET = {
  patientsPerSite: 300,
  imageSize: 256,
  model: 'resnet-18',
  rounds: 5,
  localEpochs: 1,
  // ~164 MB per image in training at 256 px: 8 keeps three site processes within a workstation's RAM.
  batchSize: 8,
  learningRate: 1e-3,
} as const satisfies Partial<DemoSettings>;

export interface DemoEstimate {
  /** Seconds one image takes through a training step (forward and backward) here. */
  secondsPerImage: number;
  /** Images through a training step in the whole run: federation, local-only and pooled baselines. */
  trainImages: number;
  /** Images through a forward pass only: validation each epoch and the test set of each model. */
  evaluatedImages: number;
  seconds: number;
  device: string;
}

/**
 * The run's work in images. Each site trains on about 52% of its patients (65% outside the test set,
 * 80% of those for training), one radiograph each; the local-only baselines and the pooled model train
 * as many epochs over the same images as the federation, so the training is three times the
 * federation's; a forward pass costs about a third of a training step.
 */
export function demoWork(settings: DemoSettings): { trainImages: number; evaluatedImages: number } {
  const kept = Math.round(settings.patientsPerSite * (1 - settings.testFraction)) * settings.sites;
  const train = Math.round(kept * 0.8);
  const validation = kept - train;
  const epochs = settings.rounds * settings.localEpochs;
  const test = settings.patientsPerSite * settings.sites - kept;
  // Models evaluated on the test set: each site's, the pooled, the federation's last ten.
  const testedModels = settings.sites + 1 + Math.min(10, settings.rounds);
  return {
    trainImages: 3 * epochs * train,
    evaluatedImages: 3 * epochs * validation + testedModels * test,
  };
}

/**
 * Times training steps of the demo's model at its image size on this machine (one to warm up, two
 * timed, a small batch: a few seconds even for ResNet-18) and scales them to the run's work.
 */
export async function estimateDemoTime(
  settings: DemoSettings,
  options: { backend?: BackendChoice; threads?: number } = {},
): Promise<DemoEstimate> {
  const report = await selectBackend({ choice: options.backend ?? 'auto', threads: options.threads });
  const size = settings.imageSize;
  const batch = 4;
  const { step, dispose } = noiseTrainingStep(settings.model, size, batch);
  try {
    await step();
    const started = performance.now();
    await step();
    await step();
    const secondsPerImage = (performance.now() - started) / 1000 / (2 * batch);
    const work = demoWork(settings);
    // Synthesis, ingest and de-identification: about 0.05 s per patient at 256 px (measured with the
    // default demo's setup lines), scaled with the pixels.
    const setup = 0.05 * settings.patientsPerSite * settings.sites * (size / 256) ** 2;
    const seconds = secondsPerImage * (work.trainImages + work.evaluatedImages / 3) + setup;
    return { secondsPerImage, ...work, seconds, device: report.device };
  } finally {
    dispose();
  }
}

/** "about 3 h 20 min", "about 12 min". */
export function formatDuration(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `about ${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export function describeEstimate(settings: DemoSettings, estimate: DemoEstimate): string {
  return (
    `Estimated time: ${formatDuration(estimate.seconds)} on this machine, training on ${estimate.device}. ` +
    `A training step of ${settings.model} at ${settings.imageSize} px takes ` +
    `${estimate.secondsPerImage.toFixed(2)} s per image here, and the run trains ` +
    `${estimate.trainImages.toLocaleString('en')} images (the federation, the local-only and the pooled ` +
    `models) and evaluates ${estimate.evaluatedImages.toLocaleString('en')}. Fewer patients (--patients) ` +
    'or rounds (--rounds) make it shorter.'
  );
}
