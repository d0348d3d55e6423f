// The secure-aggregation math, sites and hub in one process: the unmasked sum is the weighted mean of
// the clipped, quantised updates; a masked vector looks uniform; dropouts after the masked input are
// recovered; too many dropouts unmask nothing; a site never reveals both kinds of share of a neighbour.
import { describe, expect, it } from 'vitest';
import type { NamedTensor } from '../../federation/index.ts';
import {
  decodeMaskedInput,
  encodeMaskedInput,
  maskWords,
  neighboursOf,
  newRoundSecrets,
  quantiseUpdate,
  revealShares,
  runLocalRound,
  SecureAggregationError,
  type LocalSite,
} from './index.ts';

function randomDelta(seed: number, values = 600, scale = 0.3): NamedTensor[] {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  };
  return [
    { name: 'conv/kernel', shape: [values - 10], data: Float32Array.from({ length: values - 10 }, next) },
    { name: 'dense/bias', shape: [10], data: Float32Array.from({ length: 10 }, () => next() * 5) },
  ];
}

function sites(count: number, values = 600): LocalSite[] {
  return Array.from({ length: count }, (_, i) => ({
    siteId: `site_${String(i).padStart(2, '0')}`,
    delta: randomDelta(i + 1, values),
    examples: 20 + 13 * i,
  }));
}

/** Σ w·clip(x) / Σ w over the given sites, in float64. */
function plainWeightedMean(
  list: readonly LocalSite[],
  weights: Map<string, number>,
  clip: number,
): number[][] {
  const total = list.reduce((sum, s) => sum + (weights.get(s.siteId) as number), 0);
  return (list[0] as LocalSite).delta.map((tensor, t) =>
    Array.from(
      tensor.data,
      (_, i) =>
        list.reduce((sum, s) => {
          const x = (s.delta[t] as NamedTensor).data[i] as number;
          return sum + (weights.get(s.siteId) as number) * Math.max(-clip, Math.min(clip, x));
        }, 0) / total,
    ),
  );
}

function maxError(sums: Float64Array[], totalWeight: number, expected: number[][]): number {
  let worst = 0;
  sums.forEach((values, t) =>
    values.forEach(
      (v, i) => (worst = Math.max(worst, Math.abs(v / totalWeight - (expected[t]?.[i] as number)))),
    ),
  );
  return worst;
}

describe('secure aggregation (SecAgg+) math', () => {
  it('the unmasked sum is the weighted mean of the clipped, quantised updates, within one quantisation step', async () => {
    const list = sites(5);
    const clipRange = 0.5;
    const bits = 12;
    const result = await runLocalRound({ sites: list, clipRange, bits });
    const step = (2 * clipRange) / (2 ** bits - 1);
    expect(result.totalWeight).toBe(list.reduce((sum, s) => sum + s.examples, 0));
    const error = maxError(
      result.sums,
      result.totalWeight,
      plainWeightedMean(list, result.weights, clipRange),
    );
    expect(error).toBeLessThanOrEqual(step);
    // Clipping is real: the bias values (up to ±1.5) come back clipped to ±0.5.
    const bias = result.sums[1] as Float64Array;
    expect(Math.max(...Array.from(bias, (v) => Math.abs(v / result.totalWeight)))).toBeLessThanOrEqual(
      clipRange + step,
    );
  });

  it('a stored masked vector is indistinguishable from uniform bytes (chi-square), while the unmasked one is not', async () => {
    const list = sites(3, 40_000);
    const result = await runLocalRound({ sites: list, clipRange: 0.5, bits: 16, keepMasked: true });
    const masked = decodeMaskedInput(encodeMaskedInput(result.masked.get('site_01') as Uint32Array));
    const chiSquare = (words: Uint32Array) => {
      const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
      const counts = new Array<number>(256).fill(0);
      for (const b of bytes) counts[b] = (counts[b] as number) + 1;
      const expected = bytes.length / 256;
      return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    };
    // 255 degrees of freedom: 330.5 is the 0.001 critical value.
    expect(chiSquare(masked)).toBeLessThan(330.5);
    const plain = quantiseUpdate((list[1] as LocalSite).delta, 30, {
      clipRange: 0.5,
      levels: 2 ** 16,
      weightCap: result.plan.weightCap,
    }).vector;
    expect(chiSquare(plain)).toBeGreaterThan(330.5);
    // And the top bits of each masked word are as often set as not (±4σ).
    const high = Array.from(masked).filter((w) => w >= 2 ** 31).length;
    expect(Math.abs(high - masked.length / 2)).toBeLessThan(4 * Math.sqrt(masked.length / 4));
  });

  it('sites that drop out after sharing keys are recovered: the sum is the survivors’ weighted mean', async () => {
    const list = sites(7);
    const result = await runLocalRound({
      sites: list,
      clipRange: 0.5,
      bits: 12,
      neighbours: 5,
      dropAfterSharing: ['site_02', 'site_05'],
    });
    const survivors = list.filter((s) => s.siteId !== 'site_02' && s.siteId !== 'site_05');
    expect(result.totalWeight).toBe(survivors.reduce((sum, s) => sum + s.examples, 0));
    const error = maxError(
      result.sums,
      result.totalWeight,
      plainWeightedMean(survivors, result.weights, 0.5),
    );
    expect(error).toBeLessThanOrEqual(1 / (2 ** 12 - 1));
  });

  it('with too many dropouts the round fails cleanly and unmasks nothing', async () => {
    const round = runLocalRound({
      sites: sites(5),
      clipRange: 0.5,
      bits: 12,
      neighbours: 3,
      dropAfterSharing: ['site_00', 'site_01', 'site_02'],
    });
    await expect(round).rejects.toBeInstanceOf(SecureAggregationError);
    await expect(round).rejects.toMatchObject({ code: 'too-many-dropouts' });
  });

  it('a site reveals one kind of share per neighbour and refuses a request for the other kind', () => {
    const held = {
      a: { selfMask: 'x'.repeat(44), maskKey: 'y'.repeat(44) },
      b: { selfMask: 's', maskKey: 'k' },
    };
    const first = revealShares({ held, survived: ['a', 'b'], dropped: [], threshold: 2 });
    expect(first.request.maskKeyShares).toEqual([]);
    expect(first.revealed).toEqual({ a: 'self-mask', b: 'self-mask' });
    expect(() =>
      revealShares({
        held,
        survived: ['a', 'c'],
        dropped: ['b'],
        threshold: 2,
        alreadyRevealed: first.revealed,
      }),
    ).toThrow(SecureAggregationError);
    expect(() => revealShares({ held, survived: ['a', 'b'], dropped: ['b'], threshold: 2 })).toThrow(
      /both survived and dropped/,
    );
  });

  it('neighbourhoods are symmetric rings of k sites', () => {
    for (const position of [0, 3, 9]) {
      const hood = neighboursOf(position, 10, 5);
      expect(hood).toHaveLength(5);
      for (const other of hood) expect(neighboursOf(other, 10, 5)).toContain(position);
    }
    expect(neighboursOf(1, 3, 5)).toEqual([0, 1, 2]);
  });

  it('the mask PRG is keyed by the full 32-byte secret: one bit of key changes the whole stream', () => {
    const key = Buffer.from(newRoundSecrets().selfMaskSeed, 'base64url');
    const other = Buffer.from(key);
    other[31] = (other[31] as number) ^ 1;
    const a = maskWords(key, 1000);
    const b = maskWords(other, 1000);
    expect(Array.from(a).filter((w, i) => w === b[i]).length).toBeLessThan(3);
    expect(() => maskWords(new Uint8Array(4), 10)).toThrow(/32 bytes/);
  });
});
