import { describe, expect, it } from 'vitest';
import { findJargon } from './jargon.ts';
import { plainNumber, tickNumber } from './numbers.ts';

describe('numbers in plain words', () => {
  it('writes large and small numbers without scientific notation', () => {
    expect(plainNumber(1e13)).toBe('10 trillion');
    expect(plainNumber(2.5e6)).toBe('2.5 million');
    expect(plainNumber(1234.4)).toBe('1,234');
    expect(plainNumber(0.25)).toBe('0.25');
    expect(plainNumber(0.00012)).toBe('0.00012');
    expect(plainNumber(Number.NaN)).toBe('not a number');
    expect(plainNumber(Number.POSITIVE_INFINITY)).toBe('infinite');
    expect(tickNumber(1e13)).toBe('10T');
    expect(tickNumber(1000)).toBe('1K');
    expect(tickNumber(0.01)).toBe('0.01');
  });

  it('never produces what the plain-words check calls jargon', () => {
    for (const value of [1e13, 3e20, 1e-7, 0.5, 42, 7e5])
      for (const text of [plainNumber(value), tickNumber(value)]) expect(findJargon(text)).toEqual([]);
  });
});
