import { describe, expect, it } from 'vitest';
import {
  chainWords,
  dayRange,
  detailPairs,
  detailText,
  kindWords,
  pageCount,
  rangeText,
} from './audit-words.ts';

describe('audit words', () => {
  it('turns local dates into a half-open range covering whole days', () => {
    const { since, until } = dayRange('2026-03-01', '2026-03-02');
    expect(new Date(since ?? '').getTime()).toBe(new Date(2026, 2, 1).getTime());
    expect(new Date(until ?? '').getTime()).toBe(new Date(2026, 2, 3).getTime());
    expect(dayRange('', '')).toEqual({});
    expect(dayRange('not a date', '')).toEqual({});
  });

  it('counts pages and says which entries are shown', () => {
    expect(pageCount({ total: 0, pageSize: 25 })).toBe(1);
    expect(pageCount({ total: 51, pageSize: 25 })).toBe(3);
    expect(rangeText({ total: 51, pageSize: 25, page: 3 })).toBe('Entries 51–51 of 51');
    expect(rangeText({ total: 0, pageSize: 25, page: 1 })).toBe('No entries match.');
  });

  it('describes the chain status', () => {
    expect(chainWords({ ok: true, entries: 1200 })).toMatch(/^Intact: all 1,200 entries/);
    expect(chainWords({ ok: false, brokenAt: 7, reason: 'entry 7 has been changed' })).toMatch(
      /^Broken at entry 7/,
    );
  });

  it('shows a detail as key: value pairs', () => {
    expect(detailText('{"runId":3,"deidOptions":["a"]}')).toBe('runId: 3; deidOptions: ["a"]');
    expect(detailText('not json')).toBe('not json');
  });
});

describe('detailPairs', () => {
  it('lists the detail for the disclosure, nested values as JSON', () => {
    expect(detailPairs('{"round":7,"differentialPrivacy":{"epsilonSpent":1}}')).toEqual([
      ['round', '7'],
      ['differentialPrivacy', '{"epsilonSpent":1}'],
    ]);
    expect(detailPairs('not json')).toEqual([['detail', 'not json']]);
  });
});

describe('kindWords', () => {
  it('names the kinds in the filter in words', () => {
    expect(kindWords('federation.update-sent')).toBe('Model update sent');
    expect(kindWords('note.added')).toBe('Note added');
  });
});
