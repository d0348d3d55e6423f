// Issue 16's "secure aggregation at no cost" in the demo: its settings must keep a round's update as
// whole as the plain run's float16 upload does. Two ways it cost before: the clip range cut the
// batch-norm running variances (±0.5: −0.038 AUC; ±4 still clipped them in every round, as they move by
// up to 22.7 in a round of the real demo), and a quantisation step coarser than float16's rounding. Through a real three-site SecAgg+ round (masks,
// shares, unmasking), not the quantiser alone.
import { describe, expect, it } from 'vitest';
import { runLocalRound } from '../../shared/node/secagg/index.ts';
import { DEMO_SECURE_AGGREGATION } from './demo-options.ts';

/**
 * A round's update of the demo's sizes: weights moving by up to 0.05, running variances by up to 30
 * (the real demo's plain run moved its global model's by up to 22.7 in a round, bench/demo-rounds.ts).
 */
function siteUpdate(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
  const weights = Float32Array.from({ length: 4000 }, () => 0.1 * next());
  const variance = Float32Array.from({ length: 64 }, (_, i) => (i === 0 ? 30 : i === 1 ? 22.7 : 40 * next()));
  return [
    { name: 'stage1/conv/kernel', shape: [4000], data: weights },
    { name: 'stage1/bn/moving_variance', shape: [64], data: variance },
  ];
}

describe("the demo's secure aggregation keeps the update whole", () => {
  it('clips no running statistic and rounds no coarser than float16 does for values above 1/64', async () => {
    const { clipRange, bits } = DEMO_SECURE_AGGREGATION;
    const sites = [1, 2, 3].map((seed, i) => ({
      siteId: `site-${seed}`,
      delta: siteUpdate(seed),
      examples: [59, 51, 64][i]!,
    }));
    const round = await runLocalRound({ sites, clipRange, bits });
    const total = sites.reduce((n, s) => n + s.examples, 0);
    expect(round.totalWeight).toBe(total);
    const step = (2 * clipRange) / (2 ** bits - 1);
    let worst = 0;
    round.sums.forEach((sum, t) => {
      for (let i = 0; i < sum.length; i += 1) {
        const exact = sites.reduce((a, site) => a + site.examples * site.delta[t]!.data[i]!, 0);
        worst = Math.max(worst, Math.abs(sum[i]! - exact) / total);
      }
    });
    // Nothing clipped (a clipped 3.5 would be off by up to 3.5 − clipRange) and each value of
    // the weighted mean within one quantisation step of the exact one.
    expect(worst).toBeLessThan(step);
    // float16 spacing between 2^-6 and 2^-5 is 2^-16: rounding to nearest errs by at most half of it.
    expect(step / 2).toBeLessThanOrEqual(2 ** -17);
  });
});
