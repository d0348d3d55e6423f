// The leakage meter, run by the site before it approves a split-learning task's cut. It rehearses the
// task on its own data with a trunk of its own (the step functions and defences exactly as in the
// session, float32 frames), recording what a hub would receive; then it attacks what it recorded:
// - images: a decoder trained on the site's images and their activations at cut 1, as they would leave
//   (clipped and noised when those defences are on), brings back held-out images; SSIM and PSNR say
//   how closely (the attacker's best case: it is given image–activation pairs);
// - labels: the length of each image's gradient at cut 2, as the site returns it (after max norm when
//   on), read as a score for the label within its batch (Li et al. 2021's norm attack); AUC says how well.
// Nothing leaves the site while it runs: the trunk is a local copy, dropped afterwards.
import { decodeCutFrame, type SplitDefences } from '../../../../../shared/federation/split/index.ts';
import type { GaussianSource } from '../../../../../shared/node/privacy/index.ts';
import { tf } from '../../backend/index.ts';
import { createModel, splitModel, type CutPoints, type ModelConfig } from '../../models/index.ts';
import { HubTrunk } from '../hub-trunk.ts';
import { adamOptimizer } from '../segment-optimizer.ts';
import { SplitSite, type SiteCutDefences } from '../split-site.ts';
import { ImageDecoder } from './image-decoder.ts';
import { imageSimilarity, type ImageSimilarity } from './image-similarity.ts';
import { rocAuc } from './label-auc.ts';
import { siteCutDefences } from './site-defences.ts';

export interface LeakageMeterInput {
  readonly architecture: string;
  readonly config: ModelConfig;
  /** The task's cuts; left out, the model's own. */
  readonly cuts?: CutPoints;
  readonly defences: SplitDefences;
  /** The site's own images, [count × side × side × channels] values, and their labels. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  /** Training steps of the rehearsal (0 measures the model as initialised). */
  readonly rehearsalSteps: number;
  readonly batchSize: number;
  readonly decoderSteps: number;
  readonly learningRate?: number;
  readonly seed?: number;
  readonly gaussian?: GaussianSource;
}

export interface CutLeakage {
  /** The stage after which the model is cut (cut 1). */
  readonly cut: string;
  /** How closely the decoder brought back the held-out images. */
  readonly image: ImageSimilarity;
  /**
   * How well the gradient lengths returned at cut 2 read the labels (0.5 nothing, 1 every label): the
   * mean over the rehearsal's batches of the AUC within a batch; null without a rehearsal or without a
   * batch holding both classes.
   */
  readonly labelAuc: number | null;
  /**
   * What the defences cost the task: the rehearsed model's AUC for class 1 on the held-out images
   * (bottom with the defences, the local trunk, the head); null without a rehearsal or both classes.
   */
  readonly taskAuc: number | null;
  readonly heldOutImages: number;
}

const SESSION = 'ab'.repeat(16);

export async function measureCutLeakage(input: LeakageMeterInput): Promise<CutLeakage> {
  const { config, batchSize } = input;
  const side = config.inputSize;
  const count = input.labels.length;
  const heldOut = Math.max(2, Math.floor(count / 4));
  const training = count - heldOut;
  const seed = input.seed ?? 1;
  const learningRate = input.learningRate ?? 0.01;
  const defences = siteCutDefences(input.defences, {
    batchSize,
    ...(input.gaussian && { gaussian: input.gaussian }),
  });
  const siteModel = createModel(input.architecture, { ...config, seed });
  const hubModel = createModel(input.architecture, { ...config, seed });
  const cuts = input.cuts ?? siteModel.cuts;
  const site = new SplitSite(siteModel, {
    session: SESSION,
    dtype: 'float32',
    cuts,
    optimizers: { bottom: adamOptimizer(learningRate), head: adamOptimizer(learningRate) },
    defences,
  });
  const hub = new HubTrunk(hubModel, { dtype: 'float32', cuts, optimizer: adamOptimizer(learningRate) });
  const all = tf.tensor4d(input.images, [count, side, side, config.channels]);
  try {
    const stepAucs: number[] = [];
    const batches = Math.max(1, Math.floor(training / batchSize));
    for (let step = 0; step < input.rehearsalSteps; step++) {
      const from = (step % batches) * batchSize;
      const size = Math.min(batchSize, training - from);
      const images = tf.slice(all, [from, 0, 0, 0], [size, -1, -1, -1]);
      const labels = input.labels.subarray(from, from + size);
      const up = await site.forwardBottom(step, step % batches, images);
      images.dispose();
      const head = await site.headStep(await hub.forwardTrunk(up), labels);
      await site.backwardBottom((await hub.backwardTrunk(head.frame)).frame);
      // Within each batch: the lengths shrink as the model learns, and a hub ranks a batch's images
      // against each other (Li et al.'s norm attack), so drift over the session does not hide the leak.
      const auc = rocAuc(rowNorms(decodeCutFrame(head.frame).values, size), labels);
      if (auc !== null) stepAucs.push(auc);
    }
    const bottom = splitModel(siteModel, cuts).bottom;
    const leaving = (images: tf.Tensor) => tf.tidy(() => cutOutput(bottom.apply(images, 'replay'), defences));
    const image = await attackImages(leaving, all, training, input.decoderSteps, batchSize, seed);
    let taskAuc: number | null = null;
    if (input.rehearsalSteps > 0) {
      const { head } = splitModel(siteModel, cuts);
      const scores = tf.tidy(() => {
        const test = tf.slice(all, [training, 0, 0, 0], [-1, -1, -1, -1]);
        const logits = head.apply(hub.trunk.apply(leaving(test), 'infer'), 'infer');
        return tf.squeeze(tf.slice(tf.softmax(logits), [0, 1], [-1, 1]), [1]);
      });
      taskAuc = rocAuc((await scores.data()) as Float32Array, input.labels.subarray(training));
      scores.dispose();
    }
    return {
      cut: cuts.cut1,
      image,
      labelAuc: eitherDirection(stepAucs),
      taskAuc,
      heldOutImages: heldOut,
    };
  } finally {
    all.dispose();
    site.dispose();
    hub.dispose();
    siteModel.dispose();
    hubModel.dispose();
  }
}

/** What leaves the site at cut 1, as the session sends it: clipped and noised when those are on. */
function cutOutput(atCut1: tf.Tensor, defences: SiteCutDefences): tf.Tensor4D {
  const bounded = defences.bound ? defences.bound(atCut1) : atCut1;
  return (defences.perturb ? defences.perturb(bounded) : bounded) as tf.Tensor4D;
}

/** Trains the decoder on the first `trainCount` images and measures it on the rest. */
async function attackImages(
  leaving: (images: tf.Tensor) => tf.Tensor4D,
  all: tf.Tensor4D,
  trainCount: number,
  steps: number,
  batchSize: number,
  seed: number,
): Promise<ImageSimilarity> {
  const trainImages = tf.slice(all, [0, 0, 0, 0], [trainCount, -1, -1, -1]);
  const testImages = tf.slice(all, [trainCount, 0, 0, 0], [-1, -1, -1, -1]);
  const trainActivations = leaving(trainImages);
  const testActivations = leaving(testImages);
  const decoder = new ImageDecoder(trainActivations.shape.slice(1), trainImages.shape.slice(1), seed);
  try {
    await decoder.fit(trainActivations, trainImages, { steps, batchSize, learningRate: 0.005, seed });
    const reconstructed = decoder.decode(testActivations);
    const similarity = await imageSimilarity(testImages, reconstructed);
    reconstructed.dispose();
    return similarity;
  } finally {
    decoder.dispose();
    for (const t of [trainImages, testImages, trainActivations, testActivations]) t.dispose();
  }
}

/** The mean of the batches' AUCs, read in the direction that tells more (a hub may pick either). */
function eitherDirection(aucs: readonly number[]): number | null {
  if (aucs.length === 0) return null;
  const mean = aucs.reduce((sum, auc) => sum + auc, 0) / aucs.length;
  return Math.max(mean, 1 - mean);
}

/** The L2 length of each of `rows` equal rows of `values`. */
function rowNorms(values: Float32Array, rows: number): number[] {
  const width = values.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let sum = 0;
    for (let k = r * width; k < (r + 1) * width; k++) sum += values[k]! ** 2;
    return Math.sqrt(sum);
  });
}
