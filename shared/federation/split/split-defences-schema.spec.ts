// The defences' task settings and the site's leakage limits: defaults, refusals, NoPeek's batch limit.
import { describe, expect, it } from 'vitest';
import {
  NOPEEK_MAX_BATCH,
  noPeekBatchProblem,
  splitDefencesSchema,
  splitLeakageLimitsSchema,
} from './index.ts';

describe('split learning defence settings', () => {
  it('default to no defence, and a hijack check given empty takes the stated rule\u2019s defaults', () => {
    expect(splitDefencesSchema.parse({})).toEqual({ gradientMaxNorm: false });
    expect(splitDefencesSchema.parse({ hijackCheck: {} }).hijackCheck).toEqual({
      validationImages: 64,
      checkEvery: 20,
      warmupChecks: 10,
      minimumDrop: 0.2,
      riseTolerance: 0.25,
      patience: 3,
    });
    expect(splitLeakageLimitsSchema.parse({})).toEqual({ maxImageSsim: 0.5, maxLabelAuc: 0.75 });
  });

  it('refuse unknown fields, a NoPeek weight of 0 and negative noise', () => {
    expect(splitDefencesSchema.safeParse({ nopeek: { weight: 1 } }).success).toBe(false);
    expect(splitDefencesSchema.safeParse({ noPeek: { weight: 0 } }).success).toBe(false);
    expect(
      splitDefencesSchema.safeParse({ activationNoise: { clipNorm: 1, noiseMultiplier: -1 } }).success,
    ).toBe(false);
    expect(splitLeakageLimitsSchema.safeParse({ maxLabelAuc: 0.4 }).success).toBe(false);
  });

  it(`take NoPeek with a batch up to ${NOPEEK_MAX_BATCH} and say what to do above it`, () => {
    const noPeek = splitDefencesSchema.parse({ noPeek: { weight: 1 } });
    expect(noPeekBatchProblem(noPeek, NOPEEK_MAX_BATCH)).toBeNull();
    expect(noPeekBatchProblem(splitDefencesSchema.parse({}), 4096)).toBeNull();
    expect(noPeekBatchProblem(noPeek, 1024)).toBe(
      'NoPeek compares every pair of images in a batch, so its memory grows with the square of the batch: ' +
        "it takes at most 512 images per batch, and this task's batch has 1024. Lower the batch size to " +
        '512 or less, or turn NoPeek off.',
    );
  });
});
