import { describe, expect, it } from 'vitest';
import { WorkRanges } from './work-ranges.ts';

/** Takes batches in a pseudo-random worker order until every worker gets nothing. */
function drain(total: number, workers: number, size: number, seed: number): number[][] {
  const ranges = new WorkRanges(total, workers);
  const batches: number[][] = [];
  const active = new Set(Array.from({ length: workers }, (_, w) => w));
  let s = seed;
  while (active.size > 0) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const list = [...active];
    const w = list[s % list.length] as number;
    const batch = ranges.take(w, size);
    if (batch.length === 0) active.delete(w);
    else batches.push(batch);
  }
  return batches;
}

describe('work ranges', () => {
  it('hands out every index exactly once, whatever order the workers ask in', () => {
    for (const [total, workers, size, seed] of [
      [0, 2, 8, 1],
      [1, 2, 8, 2],
      [7, 3, 2, 3],
      [100, 2, 8, 4],
      [1000, 4, 8, 5],
      [33, 16, 1, 6],
    ] as const) {
      const seen = drain(total, workers, size, seed).flat();
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      expect(Math.min(...seen, 0)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...seen, -1)).toBe(total - 1);
    }
  });

  it('gives each batch neighbouring indices in order', () => {
    for (const batch of drain(500, 3, 8, 9)) {
      batch.forEach((index, i) => expect(index).toBe((batch[0] as number) + i));
    }
  });

  it('starts each worker on its own slice and lets an idle worker take the back half of the largest', () => {
    const ranges = new WorkRanges(100, 2);
    expect(ranges.take(0, 4)).toEqual([0, 1, 2, 3]);
    expect(ranges.take(1, 4)).toEqual([50, 51, 52, 53]);
    for (let i = 0; i < 12; i++) ranges.take(1, 4); // worker 1 reaches the end of its slice
    expect(ranges.take(1, 4)).toEqual([27, 28, 29, 30]); // 4..49 left to worker 0: it keeps 4..26
    expect(ranges.take(0, 30)).toEqual(Array.from({ length: 23 }, (_, i) => 4 + i));
  });
});
