import { describe, expect, it } from 'vitest';
import { checkSiteName, SITE_NAME_MAX_LENGTH, siteNameProblem } from './site-name.ts';

describe('the site name rule', () => {
  it.each([
    "St Mary's Radiology",
    'St Mary\u2019s Radiology',
    'Hôpital Saint-Éloi',
    'Universitätsklinikum Köln',
    '東京 放射線科',
    'Radiology (North) & Co. 2',
  ])('allows apostrophes, accents, hyphens and other scripts: %s', (name) => {
    expect(checkSiteName(name)).toEqual({ ok: true, name });
  });

  it('stores outer spaces trimmed and accents in one form, so one name typed two ways is one name', () => {
    const decomposed = '  Ho\u0302pital  ';
    expect(checkSiteName(decomposed)).toEqual({ ok: true, name: 'H\u00f4pital' });
  });

  it('refuses an empty name', () => {
    expect(siteNameProblem('   ')).toMatch(/Give the site a name/);
  });

  it.each([
    ['a line break', 'North\nHospital'],
    ['a tab', 'North\tHospital'],
    ['an escape character', 'North\u001b[31m'],
    ['a right-to-left override', 'North \u202eHospital'],
    ['a zero-width joiner', 'North\u200dHospital'],
    ['a line separator', 'North\u2028Hospital'],
  ])('refuses %s: it cannot be shown on one line as typed', (_what, name) => {
    expect(siteNameProblem(name)).toMatch(/one line of visible characters/);
  });

  it.each(['North/South', 'C:\\sites\\north', '../../etc'])(
    'refuses path separators, as the name reaches folder and file names: %s',
    (name) => {
      expect(siteNameProblem(name)).toMatch(/cannot contain \/ or \\/);
    },
  );

  it('refuses a name of punctuation only', () => {
    expect(siteNameProblem("'-.")).toMatch(/at least one letter or digit/);
  });

  it('refuses a name longer than the limit, counting characters, not bytes', () => {
    expect(checkSiteName('é'.repeat(SITE_NAME_MAX_LENGTH)).ok).toBe(true);
    expect(siteNameProblem('é'.repeat(SITE_NAME_MAX_LENGTH + 1))).toMatch(
      /101 characters long; shorten it to 100/,
    );
  });
});
