// The realistic demo's work and its time estimate, measured from real training steps here.
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS } from './demo-options.ts';
import {
  DEMO_REALISTIC_PRESET,
  demoWork,
  describeEstimate,
  estimateDemoTime,
  formatDuration,
} from './demo-scale.ts';

describe('radfed demo --scale realistic', () => {
  it('counts the images the run trains and evaluates', () => {
    const settings = { ...DEMO_DEFAULTS, ...DEMO_REALISTIC_PRESET };
    // 3 sites × 195 kept patients: 468 train, 117 validation; 5 epochs; 315 test images × 9 models.
    expect(demoWork(settings)).toEqual({ trainImages: 3 * 5 * 468, evaluatedImages: 3 * 5 * 117 + 9 * 315 });
  });

  it('says durations in minutes and hours', () => {
    expect(formatDuration(20)).toBe('about 1 min');
    expect(formatDuration(12 * 60 + 10)).toBe('about 12 min');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('about 3 h 05 min');
  });

  it('estimates from timed training steps, before anything runs', async () => {
    const settings = { ...DEMO_DEFAULTS, imageSize: 32, patientsPerSite: 20 };
    const estimate = await estimateDemoTime(settings, { backend: 'wasm', threads: 1 });
    expect(estimate.secondsPerImage).toBeGreaterThan(0);
    expect(estimate.seconds).toBeGreaterThan(estimate.secondsPerImage * estimate.trainImages);
    expect(describeEstimate(settings, estimate)).toMatch(
      /^Estimated time: about \d+ min on this machine, training on .+\. A training step of resnet-small at 32 px takes [\d.]+ s per image here/,
    );
  }, 60_000);
});
