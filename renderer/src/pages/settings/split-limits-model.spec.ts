import { describe, expect, it } from 'vitest';
import { findJargon } from '../../lib/jargon.ts';
import {
  limitRangeProblem,
  limitsSummary,
  limitText,
  parseLimit,
  SPLIT_LIMIT_FIELDS,
} from './split-limits-model.ts';

describe('split-learning leakage limits on the Settings page', () => {
  it('reads a limit, a decimal comma too; empty is no limit', () => {
    expect(parseLimit('maxImageSsim', '0.4')).toEqual({ ok: true, value: 0.4 });
    expect(parseLimit('maxImageSsim', ' 0,35 ')).toEqual({ ok: true, value: 0.35 });
    expect(parseLimit('maxLabelAuc', '1')).toEqual({ ok: true, value: 1 });
    expect(parseLimit('maxLabelAuc', '')).toEqual({ ok: true, value: null });
  });

  it('refuses a value out of range or not a number with the range and an example', () => {
    for (const text of ['1.5', '-0.1', 'half', '0.5.1', '1e-3']) {
      expect(parseLimit('maxImageSsim', text)).toEqual({
        ok: false,
        problem:
          'The limit on how closely images can be rebuilt must be a number from 0 to 1 (for example 0.5), or left empty for no limit.',
      });
    }
    expect(parseLimit('maxLabelAuc', '0.3')).toEqual({
      ok: false,
      problem: limitRangeProblem('maxLabelAuc'),
    });
    expect(limitRangeProblem('maxLabelAuc')).toContain('from 0.5 to 1 (for example 0.75)');
  });

  it('shows a saved limit and sums the limits up in a sentence', () => {
    expect(limitText(null)).toBe('');
    expect(limitText(0.5)).toBe('0.5');
    expect(limitsSummary({ maxImageSsim: null, maxLabelAuc: null })).toMatch(/^No limit is set/);
    expect(limitsSummary({ maxImageSsim: 0.5, maxLabelAuc: 0.75 })).toBe(
      'A split-learning task is refused when images could be rebuilt more closely than 0.5, or when labels could be read better than 0.75.',
    );
  });

  it('says it all without developer jargon', () => {
    const words = [
      ...SPLIT_LIMIT_FIELDS.flatMap((field) => [field.label, field.hint]),
      limitRangeProblem('maxImageSsim'),
      limitsSummary({ maxImageSsim: 0.5, maxLabelAuc: null }),
    ];
    for (const line of words) expect(findJargon(line)).toEqual([]);
  });
});
