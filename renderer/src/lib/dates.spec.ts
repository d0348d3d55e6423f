import { describe, expect, it } from 'vitest';
import { isoTooltip, localDateTime, localDay } from './dates.ts';

describe('dates on the records pages', () => {
  it('shows an instant in the locale format, and its exact ISO value in the tooltip', () => {
    const iso = '2026-12-06T21:47:28.123Z';
    const en = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
    expect(localDateTime(iso, 'en-GB')).toBe(en.format(new Date(iso)));
    expect(localDateTime(iso, 'de-DE')).not.toBe(localDateTime(iso, 'en-US'));
    expect(isoTooltip(iso)).toBe(iso);
    expect(isoTooltip('2026-12-06T22:47:28+01:00')).toBe('2026-12-06T21:47:28.000Z');
  });

  it('keeps a calendar day on its day in every time zone', () => {
    expect(localDay('2024-01-10', 'en-GB')).toBe('10 Jan 2024');
    expect(localDay('2024-01-10', 'en-US')).toBe('Jan 10, 2024');
    expect(localDateTime('2024-01-10', 'en-GB')).toBe('10 Jan 2024');
    expect(isoTooltip('2024-01-10')).toBe('2024-01-10');
  });

  it('leaves what is not a date as it is', () => {
    expect(localDateTime('soon')).toBe('soon');
    expect(localDay('2024-1-1')).toBe('2024-1-1');
    expect(isoTooltip('soon')).toBe('soon');
  });
});
