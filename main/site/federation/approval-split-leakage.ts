// The leakage meter in a split-learning task's approval: before the operator approves a cut, the site
// rehearses the task on its own images with a trunk of its own (nothing leaves) and measures what a hub
// could rebuild of the images from the activations (SSIM, PSNR) and read of the labels from the
// gradients (AUC). The approval text shows the figures; when the site has set limits (site.json's
// `splitLeakageLimits`), a cut above them is refused with the sentence that says what to ask for.
// The meter takes tens of seconds, and the screens review every task on each refresh, so its result is
// kept per task, definition and cohort in the site's federation folder and measured again only when
// one of them changes.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { federationMethod, type TaskView } from '../../../shared/federation/index.ts';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import type { CohortItem } from '../cohort/index.ts';
import type { Site } from '../store/index.ts';
import { BatchLoader, selectBackend, type BackendChoice } from '../train/index.ts';
import {
  cutLeakageProblem,
  describeCutLeakage,
  measureCutLeakage,
  type CutLeakage,
} from '../train/split/index.ts';
import { definitionSha256 } from './approvals.ts';
import { federationPaths } from './enrollment-store.ts';

/** The meter's size at approval: enough images and steps to rank a cut, few enough to run on a workstation. */
export const APPROVAL_METER = {
  images: 64,
  minimumImages: 8,
  rehearsalSteps: 32,
  decoderSteps: 150,
} as const;

export interface SplitCutReview {
  /** The approval text's lines with the meter's figures (or why it could not run). */
  readonly lines: string[];
  /** Why this site refuses the cut, or null when it is within the site's limits. */
  readonly problem: string | null;
}

export interface SplitCutReviewOptions {
  readonly cohortTaskId: string;
  readonly train: readonly CohortItem[];
  /** The backend the meter runs on (default: the best this machine has). */
  readonly backend?: BackendChoice;
}

const keptSchema = z.object({
  definitionSha256: z.string(),
  cohortTaskId: z.string(),
  images: z.number(),
  leakage: z.object({
    cut: z.string(),
    image: z.object({ ssim: z.number(), psnr: z.number() }),
    labelAuc: z.number().nullable(),
    taskAuc: z.number().nullable(),
    heldOutImages: z.number(),
  }),
});

/** The meter's lines and refusal for a split-learning task, or null for a task of another method. */
export async function reviewSplitCut(
  site: Site,
  view: TaskView,
  options: SplitCutReviewOptions,
): Promise<SplitCutReview | null> {
  const definition = view.definition;
  const steps = federationMethod(definition.strategy).steps;
  if (!steps) return null;
  // The limits are the site's choice: without them the figures are shown and no cut is refused (at the
  // models' own cuts on small images a decoder rebuilds much of an image, so a default limit would
  // refuse split learning outright; the privacy officer decides).
  const limits = site.config.splitLeakageLimits ?? null;
  const defences = steps.defences ?? { gradientMaxNorm: false };
  const labelSharing = steps.headAt === 'hub';
  const items = options.train.slice(0, APPROVAL_METER.images);
  if (items.length < APPROVAL_METER.minimumImages) {
    const problem =
      `This site cannot measure what this split-learning cut would leak: the leakage meter needs at least ` +
      `${APPROVAL_METER.minimumImages} of its training images and the site has ${items.length}. Import more ` +
      'labelled studies, then review the task again.';
    return {
      lines: ['What a hub could recover at this cut (leakage meter):', `  Not measured. ${problem}`],
      problem,
    };
  }
  const leakage = await keptOrMeasured(site, view, items, options, async () => {
    await selectBackend({ choice: options.backend ?? 'auto' });
    const { images, labels } = await loadImages(site, items, definition.input.size, definition.input.window);
    return measureCutLeakage({
      architecture: definition.model.name,
      config: { inputSize: definition.input.size, channels: 1, numClasses: definition.labels.length },
      ...(steps.cuts ? { cuts: steps.cuts } : {}),
      defences,
      images,
      labels,
      rehearsalSteps: APPROVAL_METER.rehearsalSteps,
      batchSize: Math.min(definition.batchSize, 16),
      decoderSteps: APPROVAL_METER.decoderSteps,
    });
  });
  const lines = [
    // A heading line (not indented): the Training page shows it as its own section of the task's card.
    `What a hub could recover at this cut (leakage meter, run on ${items.length} of this site\u2019s own images; nothing left the site):`,
    ...describeCutLeakage(leakage, { labelSharing, defences, limits }),
  ];
  return { lines, problem: limits ? cutLeakageProblem(leakage, limits, labelSharing) : null };
}

async function keptOrMeasured(
  site: Site,
  view: TaskView,
  items: readonly CohortItem[],
  options: SplitCutReviewOptions,
  measure: () => Promise<CutLeakage>,
): Promise<CutLeakage> {
  const dir = join(federationPaths(site.directory).root, 'leakage');
  const file = join(dir, `${view.id}.json`);
  const key = {
    definitionSha256: definitionSha256(view.definition),
    cohortTaskId: options.cohortTaskId,
    images: items.length,
  };
  if (existsSync(file)) {
    try {
      const kept = keptSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      const same =
        kept.definitionSha256 === key.definitionSha256 &&
        kept.cohortTaskId === key.cohortTaskId &&
        kept.images === key.images;
      if (same) return kept.leakage;
    } catch {
      // an unreadable record is measured again
    }
  }
  const leakage = await measure();
  mkdirSync(dir, { recursive: true });
  writeFileAtomically(file, `${JSON.stringify({ ...key, leakage }, null, 2)}\n`, { mode: 0o600 });
  return leakage;
}

async function loadImages(
  site: Site,
  items: readonly CohortItem[],
  size: number,
  window: TaskView['definition']['input']['window'],
): Promise<{ images: Float32Array; labels: Int32Array }> {
  const loader = new BatchLoader({
    items,
    recipe: { size, window: window ?? 'auto' },
    batchSize: items.length,
    cacheDir: join(site.directory, 'cache'),
    shuffle: false,
    augment: false,
  });
  for await (const batch of loader.epoch(0)) {
    return { images: Float32Array.from(batch.images), labels: Int32Array.from(batch.labels) };
  }
  throw new Error('The leakage meter found no images to load.');
}
