// Issue 16: batch norm's running statistics move by tens in a round (22.7 in the demo's reference CNN)
// while weights move by hundredths. At the product's default clip range (±0.5) secure aggregation cut
// them every round. They now have their own range: through a real SecAgg+ round (quantise, mask, sum,
// unmask, dequantise) a statistics move of 20 and weight moves of 0.1 come back as the exact weighted
// mean, each within its own quantisation step.
import { describe, expect, it } from 'vitest';
import { isRunningStatistic, secureAggregationSchema, type NamedTensor } from '../../federation/index.ts';
import { clipRangeOf, runLocalRound, type LocalSite } from './index.ts';

function siteDelta(seed: number): NamedTensor[] {
  const wave = (length: number, amplitude: number) =>
    Float32Array.from({ length }, (_, i) => amplitude * Math.sin(seed * 13 + i * 0.7));
  return [
    { name: 'conv2d/kernel', shape: [3, 3, 1, 8], data: wave(72, 0.1) },
    { name: 'batch_normalization/gamma', shape: [8], data: wave(8, 0.1) },
    { name: 'batch_normalization/moving_mean', shape: [8], data: wave(8, 20) },
    {
      name: 'batch_normalization/moving_variance',
      shape: [8],
      data: Float32Array.from({ length: 8 }, () => 20),
    },
    { name: 'dense/kernel', shape: [8, 2], data: wave(16, 0.1) },
  ];
}

describe('running statistics under secure aggregation', () => {
  it('are told apart by name, the same way for every caller', () => {
    expect(isRunningStatistic('batch_normalization_3/moving_variance')).toBe(true);
    expect(isRunningStatistic('stage1/block0/bn1/moving_mean')).toBe(true);
    expect(isRunningStatistic('bn/moving_mean:0')).toBe(true);
    expect(isRunningStatistic('batch_normalization/gamma')).toBe(false);
    expect(isRunningStatistic('moving_mean_dense/kernel')).toBe(false);
  });

  it('a statistics move of 20 and weight moves of 0.1 come back as the weighted mean, each within its step', async () => {
    // The product's defaults, as a task without settings gets them.
    const settings = secureAggregationSchema.parse({});
    expect(settings.clipRange).toBe(0.5);
    expect(settings.bits).toBe(16);
    const sites: LocalSite[] = [1, 2, 3].map((seed, i) => ({
      siteId: `site-${seed}`,
      delta: siteDelta(seed),
      examples: [59, 51, 64][i] as number,
    }));
    const round = await runLocalRound({
      sites,
      clipRange: settings.clipRange,
      statisticsClipRange: settings.statisticsClipRange,
      bits: settings.bits,
    });
    const total = sites.reduce((n, site) => n + site.examples, 0);
    expect(round.totalWeight).toBe(total);
    const layout = sites[0]!.delta;
    round.sums.forEach((sum, t) => {
      const name = layout[t]!.name;
      // Every site's move is inside its range (20 within ±64, 0.1 within ±0.5): nothing may be clipped.
      const step = (2 * (isRunningStatistic(name) ? 64 : 0.5)) / (2 ** settings.bits - 1);
      let worst = 0;
      for (let i = 0; i < sum.length; i += 1) {
        const exact = sites.reduce((a, site) => a + site.examples * site.delta[t]!.data[i]!, 0) / total;
        worst = Math.max(worst, Math.abs(sum[i]! / total - exact));
      }
      expect(worst, name).toBeLessThanOrEqual(step);
    });
    // The weights keep the fine step of the common range: 1/65535, not the statistics' 128/65535.
    expect(clipRangeOf('dense/kernel', round.plan)).toBe(0.5);
    expect(clipRangeOf('batch_normalization/moving_variance', round.plan)).toBe(64);
  });

  it('a plan without the setting (an older hub) clips every tensor to the common range, as before', async () => {
    const sites: LocalSite[] = [1, 2].map((seed) => ({
      siteId: `s${seed}`,
      delta: siteDelta(seed),
      examples: 10,
    }));
    const round = await runLocalRound({ sites, clipRange: 0.5, bits: 16 });
    const variance = round.sums[3] as Float64Array;
    for (const value of variance) expect(value / round.totalWeight).toBeCloseTo(0.5, 4);
  });
});
