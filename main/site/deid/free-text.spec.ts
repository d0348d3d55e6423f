import { describe, expect, it } from 'vitest';
import { buildMatcher, cleanFreeText } from './free-text.ts';
import { RemovedValues } from './removed-values.ts';

const removed = new RemovedValues();
removed.add('patient name', 'SMITHERSON^JOHANNA^Q');
removed.add('patient name', 'LI^YU');
removed.add('patient id', 'MRN4471922');
removed.add('birth date', '19800304');
removed.add('phone number', '+44 117 496 0123');
const matcher = buildMatcher(removed);
const clean = (s: string) => cleanFreeText(s, matcher, 'LT');

describe('free-text cleaning', () => {
  it('removes name components of 3+ characters, case-insensitively, keeping the other words', () => {
    expect(clean('Follow-up of johanna SMITHERSON, left lung')).toBe('Follow-up of *** ***, left lung');
  });

  it('removes a name made only of short components as a whole', () => {
    expect(clean('seen with Li Yu today')).toBe('seen with *** today');
    expect(clean('Li was here')).toBe('Li was here');
  });

  it('does not take a component out of a longer word', () => {
    expect(clean('SMITHERSONS SCANNER')).toBe('SMITHERSONS SCANNER');
  });

  it('removes a removed date in any common spelling, and any date-like text', () => {
    for (const s of [
      '19800304',
      '1980-03-04',
      '04/03/1980',
      '03/04/1980',
      '4 Mar 1980',
      'March 4, 1980',
      '12.11.2021',
    ]) {
      expect(clean(`born ${s}.`)).toBe('born ***.');
    }
  });

  it('removes IDs, phone numbers, e-mail addresses, UIDs and long digit runs', () => {
    expect(clean('MRN4471922')).toBe('***');
    expect(clean('call (0117) 496-0123 now')).toBe('call *** now');
    expect(clean('mail j.smith@example.org')).toBe('mail ***');
    expect(clean('ref 1.2.826.0.1.3680043')).toBe('ref ***');
    expect(clean('order 88812345')).toBe('order ***');
  });

  it('keeps ordinary clinical text and short numbers', () => {
    expect(clean('CT CHEST 1.25 mm W/O contrast, 3 phases')).toBe('CT CHEST 1.25 mm W/O contrast, 3 phases');
  });

  it('never lengthens a value beyond its VR', () => {
    expect(cleanFreeText('SMITHERSON JOHANNA X', matcher, 'SH').length).toBeLessThanOrEqual(16);
  });
});
