// The leakage meter on real tfjs (WebAssembly), at a size two shared cores can run: 16 × 16 synthetic
// nodules, a few dozen rehearsal steps, a small decoder. Assertions are on rankings between runs with
// the same seeds, never on speed or on an absolute figure.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backend/index.ts';
import { measureCutLeakage, type LeakageMeterInput } from './index.ts';
import { nodules, seededGaussian } from './test-nodules.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

// A bound for a machine shared by others, far above the CPU time these need (about 10 s each), not a
// speed check.
const SLOW = 300_000;

// One positive in four: a rare class is what makes the gradient lengths read the labels.
const DATA = nodules(128, 16, 5, 4);
const BASE: LeakageMeterInput = {
  architecture: 'resnet-small-gn',
  config: { inputSize: 16, channels: 1, numClasses: 2 },
  defences: { gradientMaxNorm: false },
  images: DATA.images,
  labels: DATA.labels,
  rehearsalSteps: 0,
  batchSize: 16,
  decoderSteps: 150,
  gaussian: seededGaussian(3),
};

describe('the leakage meter', () => {
  it(
    'ranks a shallow cut (after the stem) as more leaky than a deep one (after block2)',
    async () => {
      const shallow = await measureCutLeakage({ ...BASE, cuts: { cut1: 'stem', cut2: 'block3' } });
      const deep = await measureCutLeakage({ ...BASE, cuts: { cut1: 'block2', cut2: 'block3' } });
      expect(shallow.cut).toBe('stem');
      expect(shallow.image.ssim).toBeGreaterThan(deep.image.ssim + 0.2);
      expect(shallow.image.psnr).toBeGreaterThan(deep.image.psnr);
      expect(shallow.labelAuc).toBeNull(); // no rehearsal, no gradients returned
    },
    SLOW,
  );

  it(
    'NoPeek in the rehearsal lowers the decoder\u2019s SSIM at the model\u2019s own cut',
    async () => {
      const rehearsed = { ...BASE, rehearsalSteps: 64, learningRate: 0.02 };
      const plain = await measureCutLeakage(rehearsed);
      const noPeek = await measureCutLeakage({
        ...rehearsed,
        defences: { gradientMaxNorm: false, noPeek: { weight: 3 } },
      });
      expect(plain.cut).toBe('block1');
      expect(noPeek.image.ssim).toBeLessThan(plain.image.ssim * 0.75);
    },
    SLOW,
  );

  it(
    'reads the rare class from the returned gradients\u2019 lengths, and max norm takes that away',
    async () => {
      const rehearsed = { ...BASE, rehearsalSteps: 24, decoderSteps: 1 };
      const plain = await measureCutLeakage(rehearsed);
      const maxNorm = await measureCutLeakage({ ...rehearsed, defences: { gradientMaxNorm: true } });
      expect(plain.labelAuc!).toBeGreaterThan(0.9);
      expect(maxNorm.labelAuc!).toBeLessThan(0.65);
    },
    SLOW,
  );
});
