// `radfed demo --method split` ends with the leakage meter's figures at the task's cut, without and with
// the defences (docs/split-learning.md, "Threats and defences"): on the first hospital's own training
// images, the meter rehearses the task against a local trunk and attacks what a hub would have received,
// a decoder from the activations back to the images (SSIM, PSNR) and the labels read from the lengths of
// the gradients the site returns (AUC). Each hospital ran the meter for the task's settings (no defences)
// when it approved the task; this runs it in the demo's own process, at the approval's size, twice on the
// first hospital's images: without defences, then with NoPeek, clipping with noise and max norm together,
// so the two rows differ only in the defences. Nothing is sent anywhere.
import { join } from 'node:path';
import type { TaskDefinition } from '../../shared/federation/index.ts';
import type { SplitDefences } from '../../shared/federation/split/index.ts';
import { BatchLoader, tf } from '../site/train/index.ts';
import { createModel, splitModel, type CutPoints, type ModelConfig } from '../site/train/models/index.ts';
import { measureCutLeakage, type CutLeakage } from '../site/train/split/index.ts';
import type { DemoSite } from './demo-sites.ts';

/** The meter's size: the approval's (APPROVAL_METER in main/site/federation/approval-split-leakage.ts). */
export const DEMO_METER = { images: 64, rehearsalSteps: 32, decoderSteps: 150, maxBatch: 16 } as const;

export interface DemoLeakageRow {
  /** The defences in words ("none", "NoPeek 1, clip and noise ×0.5, max norm"). */
  readonly defences: string;
  readonly leakage: CutLeakage;
}

export interface DemoLeakage {
  readonly site: string;
  readonly images: number;
  /** The clip of the defended row: the median length of one image's activations at cut 1. */
  readonly clipNorm: number;
  readonly batchSize: number;
  readonly rows: readonly DemoLeakageRow[];
  readonly seconds: number;
}

/** The defended row: the three defences the task settings offer, as defence-benchmark.ts's last row. */
export function demoDefences(clipNorm: number): SplitDefences {
  return {
    noPeek: { weight: 1 },
    activationNoise: { clipNorm, noiseMultiplier: 0.5 },
    gradientMaxNorm: true,
  };
}

export async function measureDemoLeakage(
  site: Pick<DemoSite, 'name' | 'dir' | 'train'>,
  definition: TaskDefinition,
  cuts?: CutPoints,
): Promise<DemoLeakage> {
  const started = performance.now();
  const { images, labels } = await loadImages(site, definition);
  const config: ModelConfig = {
    inputSize: definition.input.size,
    channels: 1,
    numClasses: definition.labels.length,
  };
  const clipNorm = await medianCutNorm(definition.model.name, config, images, cuts);
  const batchSize = Math.min(definition.batchSize, DEMO_METER.maxBatch);
  const rows: DemoLeakageRow[] = [];
  for (const [words, defences] of [
    ['none', { gradientMaxNorm: false }],
    ['NoPeek 1, clip and noise ×0.5, max norm', demoDefences(clipNorm)],
  ] as const) {
    const leakage = await measureCutLeakage({
      architecture: definition.model.name,
      config,
      ...(cuts ? { cuts } : {}),
      defences,
      images,
      labels,
      rehearsalSteps: DEMO_METER.rehearsalSteps,
      batchSize,
      decoderSteps: DEMO_METER.decoderSteps,
    });
    rows.push({ defences: words, leakage });
  }
  return {
    site: site.name,
    images: labels.length,
    clipNorm,
    batchSize,
    rows,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The site's first training images as its trainer prepares them (its own prepared-image cache). */
async function loadImages(
  site: Pick<DemoSite, 'dir' | 'train'>,
  definition: TaskDefinition,
): Promise<{ images: Float32Array; labels: Int32Array }> {
  const items = site.train.slice(0, DEMO_METER.images);
  const loader = new BatchLoader({
    items,
    recipe: { size: definition.input.size, window: definition.input.window ?? 'auto' },
    batchSize: items.length,
    cacheDir: join(site.dir, 'cache'),
    shuffle: false,
    augment: false,
  });
  for await (const batch of loader.epoch(0)) {
    return { images: Float32Array.from(batch.images), labels: Int32Array.from(batch.labels) };
  }
  throw new Error('The demo found no training images for the leakage meter.');
}

/** The median L2 length of one image's activations at cut 1 (the model as initialised): a clip that bites on half. */
async function medianCutNorm(
  architecture: string,
  config: ModelConfig,
  images: Float32Array,
  cuts?: CutPoints,
): Promise<number> {
  const model = createModel(architecture, { ...config, seed: 1 });
  try {
    const side = config.inputSize;
    const norms = tf.tidy(() => {
      const x = tf.tensor4d(images, [images.length / (side * side), side, side, 1]);
      const atCut1 = splitModel(model, cuts).bottom.apply(x, 'infer');
      return tf.norm(tf.reshape(atCut1, [x.shape[0], -1]), 2, 1);
    });
    const sorted = Array.from(await norms.data()).sort((a, b) => a - b);
    norms.dispose();
    return sorted[Math.floor(sorted.length / 2)]!;
  } finally {
    model.dispose();
  }
}

const f2 = (value: number | null) => (value === null ? 'n/a' : value.toFixed(2));

/** The demo's lines for the meter: one per row, with what each figure means. */
export function describeDemoLeakage(meter: DemoLeakage): string[] {
  const cut = meter.rows[0]?.leakage.cut ?? 'the task’s cut';
  const held = meter.rows[0]?.leakage.heldOutImages ?? 0;
  return [
    `Leakage meter at cut ${cut}, on ${meter.site}'s first ${meter.images} training images (${held} held out), ` +
      `${DEMO_METER.rehearsalSteps} rehearsal steps of ${meter.batchSize} against a local trunk, a decoder of ` +
      `${DEMO_METER.decoderSteps} steps; ${meter.seconds.toFixed(0)} s in this process, nothing sent:`,
    '  defences                                  decoder SSIM  PSNR     label AUC  task AUC',
    ...meter.rows.map(
      ({ defences, leakage }) =>
        `  ${defences.padEnd(40)}  ${leakage.image.ssim.toFixed(3).padStart(12)}  ${`${leakage.image.psnr.toFixed(1)} dB`.padStart(7)}  ` +
        `${f2(leakage.labelAuc).padStart(9)}  ${f2(leakage.taskAuc).padStart(8)}`,
    ),
    `  (SSIM 1 and a label AUC of 1 are a full leak, SSIM near 0 and AUC 0.5 none; the clip is ${meter.clipNorm.toFixed(1)}, ` +
      'the median length of an image’s activations at the cut; the task AUC is the rehearsed model’s on the held-out ' +
      'images, what the defences cost. A short rehearsal on few images, noisy: docs/split-learning.md has longer runs.)',
  ];
}
