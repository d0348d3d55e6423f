// The defences' pieces on real tfjs (WebAssembly, as the trainer): distance correlation, clipping and
// noise on activations, max norm on gradients, and the step with NoPeek and clipping on, which must be
// the whole model's step on the same penalised loss.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../backend/index.ts';
import { createModel, splitModel } from '../../models/index.ts';
import { decodeCutFrame } from '../../../../../shared/federation/split/index.ts';
import { HubTrunk, sgdOptimizer, SplitSite } from '../index.ts';
import {
  activationNoiseStd,
  addActivationNoise,
  clipPerImage,
  distanceCorrelation,
  imageSimilarity,
  labelReadingAuc,
  maxNormGradient,
  rocAuc,
  siteCutDefences,
  SplitDefenceError,
} from './index.ts';
import { seededGaussian } from './test-nodules.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

const scalar = async (t: tf.Tensor) => {
  const value = (await t.data())[0]!;
  t.dispose();
  return value;
};

describe('distance correlation (NoPeek)', () => {
  it('is 1 for a rotation and scaling of the batch, higher for a nonlinear dependence than for independent rows', async () => {
    const x = tf.randomNormal([256, 2], 0, 1, 'float32', 1);
    const independent = tf.randomNormal([256, 2], 0, 1, 'float32', 2);
    // Columns reversed and one negated, times 3: a rotation (with reflection) and a scaling.
    const linear = tf.mul(tf.reverse(x, 1), tf.tensor1d([3, -3]));
    const squared = tf.square(x); // Pearson's correlation of x and x² is about 0; distance correlation sees it
    const dLinear = await scalar(distanceCorrelation(x, linear));
    const dSquared = await scalar(distanceCorrelation(x, squared));
    const dIndependent = await scalar(distanceCorrelation(x, independent));
    expect(dLinear).toBeGreaterThan(0.999);
    expect(dSquared).toBeGreaterThan(dIndependent + 0.2);
    expect(dIndependent).toBeLessThan(0.25);
    [x, independent, linear, squared].forEach((t) => t.dispose());
  });

  it('has a finite gradient when two images are the same (a zero distance)', async () => {
    const x = tf.variable(tf.concat([tf.ones([2, 3]), tf.randomNormal([6, 3], 0, 1, 'float32', 4)]));
    const y = tf.randomNormal([8, 5], 0, 1, 'float32', 5);
    const { value, grads } = tf.variableGrads(() => distanceCorrelation(x, y), [x]);
    const gradient = await grads[x.name]!.data();
    expect(gradient.every(Number.isFinite)).toBe(true);
    [value, grads[x.name]!, x, y].forEach((t) => t.dispose());
  });

  it(`refuses a batch above the limit in words, before building its B × B matrices`, () => {
    const x = tf.zeros([513, 1]);
    let caught: unknown;
    try {
      distanceCorrelation(x, x);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SplitDefenceError);
    expect((caught as SplitDefenceError).code).toBe('batch-too-large');
    expect((caught as Error).message).toMatch(/at most 512 images per batch, and this task's batch has 513/);
    x.dispose();
    expect(() =>
      siteCutDefences({ noPeek: { weight: 1 }, gradientMaxNorm: false }, { batchSize: 600 }),
    ).toThrow(/Lower the batch size to 512 or less, or turn NoPeek off/);
  });
});

describe('clipping and noise on the activations', () => {
  it('bounds each image\u2019s length and adds noise of the stated scale', async () => {
    const activations = tf.mul(tf.randomNormal([16, 8, 8, 4], 0, 1, 'float32', 6), 5);
    const clipped = clipPerImage(activations, 2);
    const norms = await tf.norm(tf.reshape(clipped, [16, -1]), 2, 1).data();
    expect(Math.max(...norms)).toBeLessThanOrEqual(2 + 1e-4);
    const settings = { clipNorm: 2, noiseMultiplier: 0.5 };
    const zeros = tf.zeros([64, 256]);
    const noised = addActivationNoise(zeros, settings, seededGaussian(7));
    const values = (await noised.data()) as Float32Array;
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(activationNoiseStd(settings, 256)).toBeCloseTo(0.0625, 6);
    expect(std / 0.0625).toBeGreaterThan(0.95);
    expect(std / 0.0625).toBeLessThan(1.05);
    [activations, clipped, zeros, noised].forEach((t) => t.dispose());
  });
});

describe('max norm on returned gradients (Li et al. 2021)', () => {
  it('gives every image\u2019s gradient the longest one\u2019s expected length, so lengths no longer read the labels', async () => {
    const labels = Int32Array.from({ length: 128 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const directions = tf.randomNormal([128, 64], 0, 1, 'float32', 8);
    const lengths = tf.tensor2d(
      Array.from(labels, (l) => (l ? 3 : 1)),
      [128, 1],
    );
    const gradient = tf.mul(tf.div(directions, tf.norm(directions, 2, 1, true)), lengths);
    const before = await tf.norm(gradient, 2, 1).data();
    const defended = maxNormGradient(gradient, seededGaussian(9));
    const after = (await tf.norm(defended, 2, 1).data()) as Float32Array;
    expect(labelReadingAuc(before, labels)).toBe(1);
    expect(labelReadingAuc(after, labels)!).toBeLessThan(0.65);
    const meanSquare = after.reduce((s, v) => s + v * v, 0) / after.length;
    expect(meanSquare / 9).toBeGreaterThan(0.9);
    expect(meanSquare / 9).toBeLessThan(1.1);
    [directions, lengths, gradient, defended].forEach((t) => t.dispose());
  });
});

describe('the meter\u2019s measures', () => {
  it('AUC counts ties as one half; the label reader takes either direction', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(labelReadingAuc([0.9, 0.8, 0.1, 0.2], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([1, 2], [1, 1])).toBeNull();
  });

  it('SSIM is 1 for the same images and falls as noise is added; PSNR falls with it', async () => {
    const images = tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 10) as tf.Tensor4D;
    const slightly = tf.add(images, tf.randomNormal([4, 16, 16, 1], 0, 0.1, 'float32', 11)) as tf.Tensor4D;
    const badly = tf.add(images, tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 12)) as tf.Tensor4D;
    const same = await imageSimilarity(images, images);
    const near = await imageSimilarity(images, slightly);
    const far = await imageSimilarity(images, badly);
    expect(same.ssim).toBeCloseTo(1, 4);
    expect(near.ssim).toBeGreaterThan(far.ssim + 0.3);
    expect(near.psnr).toBeGreaterThan(far.psnr + 10);
    [images, slightly, badly].forEach((t) => t.dispose());
  });
});

describe('a split step with NoPeek and clipping on', () => {
  const CONFIG = { inputSize: 16, channels: 1, numClasses: 2, seed: 12 };
  const LABELS = Int32Array.from([1, 0, 0, 1, 0, 1, 1, 0]);
  const WEIGHT = 0.7;
  const CLIP = 3;

  it('gives the whole model\u2019s gradients of the penalised loss (cross-entropy + weight \u00d7 dCor) to 1e-5, and clipped activations leave', async () => {
    const x = tf.randomNormal([LABELS.length, 16, 16, 1], 0, 1, 'float32', 13) as tf.Tensor4D;
    const whole = createModel('resnet-small', CONFIG);
    const { bottom, trunk, head } = splitModel(whole);
    const trainable = whole.parameters.filter((p) => p.trainable);
    const expected = tf.variableGrads(
      () => {
        const atCut1 = clipPerImage(bottom.apply(x, 'train'), CLIP);
        const logits = head.apply(trunk.apply(atCut1, 'train'), 'train');
        const crossEntropy = tf.losses.softmaxCrossEntropy(
          tf.oneHot(tf.tensor1d(LABELS, 'int32'), 2),
          logits,
        );
        return tf.add(crossEntropy, tf.mul(WEIGHT, distanceCorrelation(x, atCut1))) as tf.Scalar;
      },
      trainable.map((p) => p.variable),
    );

    const siteModel = createModel('resnet-small', CONFIG);
    const hubModel = createModel('resnet-small', CONFIG);
    const defences = siteCutDefences(
      {
        noPeek: { weight: WEIGHT },
        activationNoise: { clipNorm: CLIP, noiseMultiplier: 0 },
        gradientMaxNorm: false,
      },
      { batchSize: LABELS.length },
    );
    const site = new SplitSite(siteModel, {
      session: 'd'.repeat(32),
      dtype: 'float32',
      optimizers: { bottom: sgdOptimizer(0.1), head: sgdOptimizer(0.1) },
      defences,
    });
    const hub = new HubTrunk(hubModel, { dtype: 'float32', optimizer: sgdOptimizer(0.1) });
    const up = await site.forwardBottom(0, 0, x);
    const sent = decodeCutFrame(up);
    const width = sent.values.length / LABELS.length;
    for (let i = 0; i < LABELS.length; i++) {
      const row = sent.values.subarray(i * width, (i + 1) * width);
      expect(Math.hypot(...row)).toBeLessThanOrEqual(CLIP + 1e-4);
    }
    const headStep = await site.headStep(await hub.forwardTrunk(up), LABELS);
    const trunkStep = await hub.backwardTrunk(headStep.frame);
    const bottomGradients = (await site.backwardBottom(trunkStep.frame))!;
    const got = new Map([...headStep.gradients, ...trunkStep.gradients, ...bottomGradients]);
    let gap = 0;
    for (const p of trainable) {
      const want = (await expected.grads[p.variable.name]!.data()) as Float32Array;
      const mine = got.get(p.name)!;
      const scale = want.reduce((largest, v) => Math.max(largest, Math.abs(v)), 1);
      for (let i = 0; i < want.length; i++) gap = Math.max(gap, Math.abs(mine[i]! - want[i]!) / scale);
    }
    expect(gap).toBeLessThan(1e-5);
    [whole, siteModel, hubModel].forEach((m) => m.dispose());
    x.dispose();
    expected.value.dispose();
    Object.values(expected.grads).forEach((g) => g.dispose());
  });

  it('a stopped session refuses the next step with the reason it was stopped for', async () => {
    const model = createModel('resnet-small-gn', CONFIG);
    const site = new SplitSite(model, {
      session: 'e'.repeat(32),
      optimizers: { bottom: sgdOptimizer(0.1), head: sgdOptimizer(0.1) },
    });
    const reason = new SplitDefenceError('hub-hijack-suspected', 'Split learning was stopped at this site.');
    site.stop(reason);
    const x = tf.zeros([2, 16, 16, 1]) as tf.Tensor4D;
    await expect(site.forwardBottom(0, 0, x)).rejects.toBe(reason);
    expect(site.stopReason).toBe(reason);
    x.dispose();
    model.dispose();
  });
});
