import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent } from './byte-size.ts';

describe('how the demo says a number of bytes', () => {
  it('says megabytes from 0.1 MB up, as the tables always have', () => {
    expect(formatBytes(1_220_000)).toBe('1.22 MB');
    expect(formatBytes(43_200_000)).toBe('43.20 MB');
    expect(formatBytes(100_000)).toBe('0.10 MB');
  });

  it("says kilobytes below, so a head-only update's 2.2 kB is not '0.00 MB'", () => {
    expect(formatBytes(2_236)).toBe('2.2 kB');
    expect(formatBytes(99_999)).toBe('100.0 kB');
    expect(formatBytes(0)).toBe('0.0 kB');
  });

  it('gives a share under 1 % with two decimals instead of 0 %', () => {
    expect(formatPercent(610_000, 1_220_000)).toBe('50 %');
    expect(formatPercent(2_236, 1_220_000)).toBe('0.18 %');
    expect(formatPercent(1, 0)).toBe('?');
  });
});
