// Adaptive clipping's arithmetic: z_Δ and the accountant (Andrew et al. 2021, Thm 1), the clip norm
// update, the settings' checks, and the bit's fixed-point element in a masked sum.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS, epsilonFromRdp, epsilonSpent, rdpPerStep } from '../privacy/index.ts';
import {
  clipBitTensor,
  dpFedAvgSchema,
  meanClipBit,
  nextClipNorm,
  privacySpentAfter,
  splitClipBit,
  updateNoiseMultiplier,
} from './index.ts';
import { appendClipBit, takeClipBitSum } from '../node/secagg/index.ts';

const dp = dpFedAvgSchema.parse({
  clipNorm: 1,
  noiseMultiplier: 4,
  budget: { epsilon: 3, delta: 1e-5 },
  adaptiveClipping: { bitNoiseMultiplier: 5 },
});

describe('adaptive clipping', () => {
  it('fills in γ = 0.5 and η = 0.2, and refuses bit noise that would spend the whole budget', () => {
    expect(dp.adaptiveClipping).toEqual({ targetQuantile: 0.5, learningRate: 0.2, bitNoiseMultiplier: 5 });
    const bad = dpFedAvgSchema.safeParse({ ...dp, adaptiveClipping: { bitNoiseMultiplier: 2 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/must be more than 2 .*raise bitNoiseMultiplier/);
  });

  it('z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2): update and bit together spend exactly what the accountant counts', () => {
    const zDelta = updateNoiseMultiplier(dp);
    expect(zDelta).toBeCloseTo((4 ** -2 - 10 ** -2) ** -0.5, 12); // 4.364
    expect(updateNoiseMultiplier({ ...dp, adaptiveClipping: undefined })).toBe(4);
    // Two Gaussian releases per round: the update (sensitivity 1, noise z_Δ) and the centred bit
    // (sensitivity ½, noise σ_b, i.e. multiplier 2σ_b). Their RDP adds up to one Gaussian at z.
    const rounds = 7;
    const combined = DEFAULT_ORDERS.map(
      (alpha) =>
        rounds * (rdpPerStep({ q: 1, sigma: zDelta }, alpha) + rdpPerStep({ q: 1, sigma: 10 }, alpha)),
    );
    const direct = epsilonFromRdp(DEFAULT_ORDERS, combined, 1e-5).epsilon;
    expect(direct).toBeCloseTo(privacySpentAfter(dp, rounds).epsilon, 9);
    expect(privacySpentAfter(dp, rounds).epsilon).toBeCloseTo(
      epsilonSpent({ q: 1, sigma: 4 }, rounds, 1e-5).epsilon,
      12,
    );
    // Counting the update alone at z_Δ would understate ε.
    expect(epsilonSpent({ q: 1, sigma: zDelta }, rounds, 1e-5).epsilon).toBeLessThan(direct);
  });

  it('moves C geometrically toward the target quantile', () => {
    expect(nextClipNorm(2, 0.5, dp)).toBe(2);
    expect(nextClipNorm(2, 1, dp)).toBeCloseTo(2 * Math.exp(-0.1), 12); // all within C: shrink
    expect(nextClipNorm(2, 0, dp)).toBeCloseTo(2 * Math.exp(0.1), 12); // none within C: grow
    expect(meanClipBit(0.5 - 0.5 - 0.5, 3)).toBeCloseTo(1 / 3, 12);
  });

  it('carries the bit as a tensor in a plain update and as a signed element in a masked sum', () => {
    const weights = [{ name: 'w', shape: [2], data: Float32Array.of(1, 2) }];
    expect(splitClipBit([...weights, clipBitTensor(-0.25)])).toEqual({ delta: weights, bit: -0.25 });
    expect(splitClipBit(weights).bit).toBeNull();
    // Three sites' vectors summed mod 2³², as the hub's masked sum does once the masks cancel.
    const bits = [-0.5 - 1.3, -0.5 + 0.2, 0.5 - 0.9];
    const sum = new Uint32Array(3);
    for (const bit of bits) {
      const v = appendClipBit(Uint32Array.of(7, 1), bit, 3);
      expect(v.length).toBe(3);
      for (let i = 0; i < 3; i += 1) sum[i] = sum[i]! + v[i]!;
    }
    const { rest, bitSum } = takeClipBitSum(sum);
    expect([...rest]).toEqual([21, 3]);
    expect(bitSum).toBeCloseTo(-2.5, 4);
  });
});
