// The meter's figures in the approval text, and the site's limit that refuses a leaky cut.
import { describe, expect, it } from 'vitest';
import { splitLeakageLimitsSchema } from '../../../../../shared/federation/split/index.ts';
import {
  cutLeakageProblem,
  describeCutLeakage,
  refuseLeakyCut,
  SplitDefenceError,
  type CutLeakage,
} from './index.ts';

const LIMITS = splitLeakageLimitsSchema.parse({});
const SHALLOW: CutLeakage = {
  cut: 'stem',
  image: { ssim: 0.55, psnr: 24.25 },
  labelAuc: 0.91,
  taskAuc: 0.9,
  heldOutImages: 32,
};
const DEEP: CutLeakage = {
  cut: 'block2',
  image: { ssim: 0.07, psnr: 20.66 },
  labelAuc: 0.52,
  taskAuc: 0.8,
  heldOutImages: 32,
};

describe('the leakage meter in the approval text', () => {
  it('states the image and label figures with the site\u2019s limits and the defences on', () => {
    const lines = describeCutLeakage(SHALLOW, {
      labelSharing: false,
      defences: { noPeek: { weight: 3 }, gradientMaxNorm: true },
      limits: LIMITS,
    });
    expect(lines).toEqual([
      '  What the hub could rebuild of the images: trained on this site\u2019s own images, a decoder brought 32 ' +
        'held-back images back from the activations after stem with a structural similarity of 0.55 (1 is the ' +
        'same image, 0 unrelated) and a signal-to-noise ratio of 24.3 dB. This site accepts up to 0.50.',
      '  What the hub could read of the labels: from the length of the gradients this site returns, an AUC of ' +
        '0.91 (0.5 reads nothing, 1 reads every label). This site accepts up to 0.75.',
      '  Defences: NoPeek (weight 3), max norm on the returned gradients.',
      '  In a rehearsal on this site\u2019s own images, the model trained with these defences told the held-back ' +
        'images apart with an AUC of 0.90 (1 is perfect, 0.5 chance).',
    ]);
  });

  it('says that label sharing gives every label away, whatever the gradients show', () => {
    const lines = describeCutLeakage(DEEP, {
      labelSharing: true,
      defences: { gradientMaxNorm: false },
      limits: LIMITS,
    });
    expect(lines[1]).toMatch(/label sharing is on, so the hub receives the label of every training image/);
    expect(lines[2]).toBe('  Defences: none.');
  });

  it('refuses a cut above the site\u2019s limits, in words that say what to do; accepts one within them', () => {
    expect(cutLeakageProblem(DEEP, LIMITS)).toBeNull();
    expect(() => refuseLeakyCut(DEEP, LIMITS)).not.toThrow();
    let caught: unknown;
    try {
      refuseLeakyCut(SHALLOW, LIMITS);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SplitDefenceError);
    expect((caught as SplitDefenceError).code).toBe('cut-too-leaky');
    expect((caught as Error).message).toBe(
      'This site does not approve this cut: a decoder brought this site\u2019s held-back images back from the ' +
        'activations after stem with a structural similarity of 0.55, above this site\u2019s limit of 0.50; and ' +
        'the lengths of the gradients it returns read its labels with an AUC of 0.91, above its limit of 0.75. ' +
        'Ask the coordinator for a deeper cut or for a defence (NoPeek, activation noise, max norm), or raise ' +
        'this site\u2019s limit in its settings if the privacy officer agrees.',
    );
    // A stricter site refuses the deep cut too.
    expect(cutLeakageProblem(DEEP, { maxImageSsim: 0.05, maxLabelAuc: 0.75 })).toMatch(
      /0\.07, above this site\u2019s limit of 0\.05/,
    );
  });
});
