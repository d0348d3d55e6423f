// Filters on de-identified values: a value the de-identification emptied never passes a filter on it.
import { describe, expect, it } from 'vitest';
import { compileFilters } from './study-filters.ts';

const series = { modality: 'CT', bodyPart: 'CHEST', description: 'AX LUNG 5mm ***' };

describe('study filters', () => {
  it('passes everything when the task has no filters', () => {
    const f = compileFilters({});
    expect([f.studyDateOk(''), f.seriesFails({ modality: '', bodyPart: '', description: '' })]).toEqual([
      true,
      null,
    ]);
  });

  it('keeps out a study with no usable date (emptied by the Basic Profile) when there is a window', () => {
    const f = compileFilters({ studyDate: { from: '2010-01-01' } });
    expect([
      f.studyDateOk(''),
      f.studyDateOk('19000101'),
      f.studyDateOk('2010010'),
      f.studyDateOk('20100101'),
    ]).toEqual([false, false, false, true]);
  });

  it('names the first filter a series fails, comparing code strings in upper case', () => {
    const f = compileFilters({ modalities: ['CT'], bodyParts: ['CHEST'], seriesDescription: 'lung' });
    expect(f.seriesFails(series)).toBeNull();
    expect(f.seriesFails({ ...series, bodyPart: 'chest ' })).toBeNull();
    expect(f.seriesFails({ ...series, modality: 'DX', bodyPart: 'HEAD' })).toBe('modality');
    expect(f.seriesFails({ ...series, bodyPart: 'HEAD' })).toBe('bodyPart');
    expect(f.seriesFails({ ...series, description: '' })).toBe('seriesDescription');
  });
});
