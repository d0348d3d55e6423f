import { describe, expect, it } from 'vitest';
import type { ImportProgress } from '../../../../shared/ipc/index.ts';
import { describeImportCounts, hasHeader, progressHeadline } from './studies-words.ts';

const counts = { deidentified: 0, held: 0, rejected: 0, excluded: 0, alreadyIngested: 0, failed: 0 };
const progress = (over: Partial<ImportProgress>): ImportProgress => ({
  importId: 'x',
  state: 'running',
  done: 0,
  total: 0,
  counts,
  files: [],
  error: null,
  ...over,
});

describe('studies words', () => {
  it('says where an import stands', () => {
    expect(progressHeadline(progress({}))).toBe('Looking through the folder…');
    expect(progressHeadline(progress({ done: 3, total: 1200 }))).toBe('Importing: 3 of 1,200 files');
    expect(progressHeadline(progress({ state: 'completed', done: 1, total: 1 }))).toBe(
      'Import finished: 1 file',
    );
    expect(progressHeadline(progress({ state: 'failed', done: 2, total: 5 }))).toBe(
      'Import stopped after 2 files',
    );
  });

  it('lists only the outcomes that happened', () => {
    expect(describeImportCounts(counts)).toBe('No files yet.');
    expect(describeImportCounts({ ...counts, deidentified: 2, rejected: 1, excluded: 3 })).toBe(
      '2 de-identified, 1 not DICOM, 3 left out by consent.',
    );
  });

  it('offers a header only where one exists', () => {
    expect(hasHeader('deidentified')).toBe(true);
    expect(hasHeader('held')).toBe(true);
    expect(hasHeader('rejected')).toBe(false);
    expect(hasHeader('excluded')).toBe(false);
  });
});
