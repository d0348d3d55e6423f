// What each split-learning defence costs and buys on the synthetic nodule task: for each setting, the
// leakage meter rehearses the task (one site against a local trunk, float32 frames) and reports the
// task's AUC on held-out images, the decoder's SSIM and PSNR on them, and the label AUC read from the
// returned gradients' lengths. Figures for docs/split-learning.md ("Threats and defences").
//   npx tsx main/site/train/split/defences/defence-benchmark.ts [images] [steps] [brightness] [only] [seed]
// (`only`: run the settings whose name contains it; `seed`: of the images, the model and the decoder.)
import { selectBackend, tf } from '../../backend/index.ts';
import { createModel, splitModel, type CutPoints } from '../../models/index.ts';
import type { SplitDefences } from '../../../../../shared/federation/split/index.ts';
import { measureCutLeakage } from './leakage-meter.ts';
import { nodules } from './test-nodules.ts';

const IMAGES = Number(process.argv[2] ?? 512);
const STEPS = Number(process.argv[3] ?? 128);
const BRIGHTNESS = Number(process.argv[4] ?? 1);
const ONLY = process.argv[5] ?? '';
const SEED = Number(process.argv[6] ?? 1);
const SIDE = 16;
const CONFIG = { inputSize: SIDE, channels: 1, numClasses: 2 };

async function main(): Promise<void> {
  await selectBackend({ choice: 'wasm' });
  // One positive in four, as the tests: a rare class is what the gradient lengths give away.
  const data = nodules(IMAGES, SIDE, 4 + SEED, 4, BRIGHTNESS);
  const off = { gradientMaxNorm: false };
  const stem = { cut1: 'stem', cut2: 'block3' };
  const block1 = { cut1: 'block1', cut2: 'block3' };
  // Each row: its name, its cuts, and its defences given the clip for that cut.
  const settings: [string, CutPoints, (clipNorm: number) => SplitDefences][] = [];
  for (const [cutName, cuts] of [
    ['stem', stem],
    ['block1', block1],
  ] as const) {
    settings.push(
      [`${cutName}: none`, cuts, () => off],
      [`${cutName}: NoPeek, weight 1`, cuts, () => ({ ...off, noPeek: { weight: 1 } })],
      [`${cutName}: NoPeek, weight 3`, cuts, () => ({ ...off, noPeek: { weight: 3 } })],
      [
        `${cutName}: clip, noise ×0.5`,
        cuts,
        (clipNorm) => ({ ...off, activationNoise: { clipNorm, noiseMultiplier: 0.5 } }),
      ],
      [
        `${cutName}: clip, noise ×1`,
        cuts,
        (clipNorm) => ({ ...off, activationNoise: { clipNorm, noiseMultiplier: 1 } }),
      ],
    );
  }
  settings.push(
    ['block1: max norm', block1, () => ({ gradientMaxNorm: true })],
    [
      'block1: NoPeek 1 + noise ×0.5 + max norm',
      block1,
      (clipNorm) => ({
        noPeek: { weight: 1 },
        activationNoise: { clipNorm, noiseMultiplier: 0.5 },
        gradientMaxNorm: true,
      }),
    ],
  );
  console.log(
    `resnet-small-gn, ${SIDE}×${SIDE}, ${IMAGES} images (1 in 4 with a nodule of brightness ${BRIGHTNESS} in noise ` +
      `of 0.3, a quarter held out), ${STEPS} steps of 16, learning rate 0.02, seed ${SEED}; ` +
      `clip = the median length of an image's activations at the cut, before training`,
  );
  console.log(
    '| defences | task AUC | decoder SSIM | PSNR (dB) | label AUC from gradient lengths | seconds |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [name, cuts, defencesFor] of settings.filter(([name]) => name.includes(ONLY))) {
    const started = performance.now();
    const defences = defencesFor(await medianCutNorm(data.images, cuts));
    const result = await measureCutLeakage({
      architecture: 'resnet-small-gn',
      config: CONFIG,
      defences,
      cuts,
      images: data.images,
      labels: data.labels,
      rehearsalSteps: STEPS,
      batchSize: 16,
      decoderSteps: 150,
      learningRate: 0.02,
      seed: SEED,
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `| ${name} | ${result.taskAuc?.toFixed(3)} | ${result.image.ssim.toFixed(3)} | ${result.image.psnr.toFixed(1)} | ` +
        `${result.labelAuc?.toFixed(3)} | ${seconds.toFixed(0)} |`,
    );
  }
}

/** The median L2 length of one image's activations at cut 1, for a clip that bites on half of them. */
async function medianCutNorm(images: Float32Array, cuts: CutPoints): Promise<number> {
  const model = createModel('resnet-small-gn', { ...CONFIG, seed: SEED });
  const norms = tf.tidy(() => {
    const x = tf.tensor4d(images, [images.length / (SIDE * SIDE), SIDE, SIDE, 1]);
    const atCut1 = splitModel(model, cuts).bottom.apply(x, 'infer');
    return tf.norm(tf.reshape(atCut1, [x.shape[0], -1]), 2, 1);
  });
  const sorted = Array.from(await norms.data()).sort((a, b) => a - b);
  norms.dispose();
  model.dispose();
  return sorted[Math.floor(sorted.length / 2)]!;
}

await main();
