import { describe, expect, it } from 'vitest';
import type { SiteStatus } from '../../../../shared/ipc/index.ts';
import { describeDeidOptions, describeLastIngest, summarizeCounts } from './status-words.ts';

const counts = (partial: Partial<SiteStatus['counts']>): SiteStatus['counts'] => ({
  patients: 0,
  studies: 0,
  series: 0,
  instances: 0,
  held: 0,
  rejected: 0,
  ...partial,
});

describe('summarizeCounts', () => {
  it('says the counts in words, as the dashboard shows them', () => {
    expect(
      summarizeCounts(counts({ patients: 3, studies: 5, series: 9, instances: 120, held: 2, rejected: 1 })),
    ).toBe('3 patients, 5 studies, 120 images; 2 held for review; 1 file could not be read.');
  });

  it('uses the singular for one and groups thousands', () => {
    expect(summarizeCounts(counts({ patients: 1, studies: 1, instances: 1200, rejected: 3 }))).toBe(
      '1 patient, 1 study, 1,200 images; none held for review; 3 files could not be read.',
    );
  });

  it('says when every file could be read', () => {
    expect(summarizeCounts(counts({ patients: 2, studies: 2, instances: 2 }))).toBe(
      '2 patients, 2 studies, 2 images; none held for review; every file could be read.',
    );
  });

  it('says nothing has been imported on an empty site', () => {
    expect(summarizeCounts(counts({}))).toBe('No studies imported yet.');
  });

  it('still reports held and unreadable files when nothing was stored', () => {
    expect(summarizeCounts(counts({ held: 1 }))).toContain('1 held for review');
  });
});

describe('describeDeidOptions and describeLastIngest', () => {
  it('names known PS3.15 options in plain words and keeps unknown names as they are', () => {
    expect(describeDeidOptions(['clean-descriptors', 'some-future-option'])).toEqual([
      'Clean descriptions and comments',
      'some-future-option',
    ]);
  });

  it('says Never before the first import', () => {
    expect(describeLastIngest(null)).toBe('Never');
    expect(describeLastIngest('2026-05-12T14:03:00Z')).toMatch(/2026/);
  });
});
