// Adaptive clipping at the site: it clips at the C the hub states (and refuses to guess one), adds
// update noise at z_Δ·C, and reports its centred bit with its share of the bit noise.
import { describe, expect, it } from 'vitest';
import { testTask } from '../../../hub/testing/test-hub.ts';
import {
  siteLevelDp,
  taskDefinitionSchema,
  updateNoiseMultiplier,
} from '../../../shared/federation/index.ts';
import { l2Norm } from './dp-clip.ts';
import { applyDpFedAvg } from './dp-fedavg.ts';

const dp = {
  clipNorm: 1,
  noiseMultiplier: 2,
  budget: { epsilon: 8, delta: 1e-5 },
  adaptiveClipping: { bitNoiseMultiplier: 3 },
};
const definition = (secureAggregation: boolean) =>
  taskDefinitionSchema.parse(
    testTask({ quorum: 4, privacy: { secureAggregation, differentialPrivacy: dp } }),
  );
const update = (value: number) => [{ name: 'w', shape: [100], data: new Float32Array(100).fill(value) }];
const silent = (count: number) => new Float64Array(count);
const ones = (count: number) => new Float64Array(count).fill(1);

describe('adaptive clipping at the site', () => {
  it('clips at the stated C and sends b − ½ (plus noise) for whether the norm fitted', () => {
    const d = definition(false);
    const big = applyDpFedAvg(update(0.5), d, silent, 2); // norm 5 > 2
    expect(l2Norm(big.weights)).toBeLessThanOrEqual(2);
    expect(l2Norm(big.weights)).toBeGreaterThan(1.99);
    expect(big.report).toMatchObject({ clipNorm: 2, clipped: true, clipBit: -0.5 });
    expect(applyDpFedAvg(update(0.1), d, silent, 2).report?.clipBit).toBe(0.5); // norm 1 ≤ 2
  });

  it('noise: z_Δ·C on the update and σ_b on the bit, each shared over the quorum with secure aggregation', () => {
    const zDelta = updateNoiseMultiplier(
      siteLevelDp(
        taskDefinitionSchema.parse(testTask({ privacy: { differentialPrivacy: dp } })).privacy
          .differentialPrivacy,
      )!,
    );
    const plain = applyDpFedAvg(update(0), definition(false), ones, 2);
    expect(plain.report?.noiseStd).toBeCloseTo(zDelta * 2, 10);
    expect(plain.weights[0]!.data[0]).toBeCloseTo(zDelta * 2, 4);
    expect(plain.report?.clipBit).toBeCloseTo(0.5 + 3, 10);
    const masked = applyDpFedAvg(update(0), definition(true), ones, 2);
    expect(masked.report?.noiseStd).toBeCloseTo(zDelta, 10); // 2·z_Δ / √4
    expect(masked.report?.clipBit).toBeCloseTo(0.5 + 1.5, 10); // σ_b / √4
  });

  it('refuses to train without the C of the round from the hub', () => {
    expect(() => applyDpFedAvg(update(0.1), definition(false), silent)).toThrow(/did not state this round’s/);
  });
});
