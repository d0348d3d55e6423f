import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSiteDatabase, ResearchIndex, type IndexedInstance } from './index.ts';

const open = () => {
  const db = openSiteDatabase(join(mkdtempSync(join(tmpdir(), 'radfed-index-')), 'site.db'));
  return { db, index: new ResearchIndex(db, () => new Date('2026-01-02T03:04:05Z')) };
};

const instance = (sop: string, modality = 'CT', series = '2.25.30'): IndexedInstance => ({
  patientPseudonym: 'PSEUDO-A',
  studyInstanceUid: '2.25.20',
  seriesInstanceUid: series,
  sopInstanceUid: sop,
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  modality,
  accessionHash: 'acc-hash',
  studyUidHash: 'study-hash',
});

describe('research index', () => {
  it('indexes patient, study, series and instance, and knows the input afterwards', () => {
    const { db, index } = open();
    expect(index.outcomeOfInput('in-1')).toBeNull();
    index.storeInstance({
      instance: instance('2.25.41'),
      path: 'a/b/c/2.25.41.dcm',
      sha256: 's1',
      size: 10,
      inputSha256: 'in-1',
      runId: null,
    });
    expect(index.outcomeOfInput('in-1')).toBe('deidentified');
    expect(index.counts()).toEqual({
      patients: 1,
      studies: 1,
      series: 1,
      instances: 1,
      held: 0,
      rejected: 0,
    });
    db.close();
  });

  it('stores the same SOP Instance UID from a second input as one instance that both inputs map to', () => {
    const { db, index } = open();
    const base = { instance: instance('2.25.41'), path: 'p/2.25.41.dcm', size: 10, runId: null };
    index.storeInstance({ ...base, sha256: 's1', inputSha256: 'in-1' });
    index.storeInstance({ ...base, sha256: 's2', inputSha256: 'in-2' });
    expect(index.counts().instances).toBe(1);
    expect(index.outcomeOfInput('in-1')).toBe('deidentified');
    expect(index.outcomeOfInput('in-2')).toBe('deidentified');
    expect(db.prepare('SELECT sha256, input_sha256 FROM instances').get()).toEqual({
      sha256: 's2',
      input_sha256: 'in-2',
    });
    db.close();
  });

  it('keeps the set of modalities of a study, sorted, without repeats', () => {
    const { db, index } = open();
    index.storeInstance({
      instance: instance('2.25.41', 'CT'),
      path: 'x1',
      sha256: 's',
      size: 1,
      inputSha256: 'i1',
      runId: null,
    });
    index.storeInstance({
      instance: instance('2.25.42', 'CT'),
      path: 'x2',
      sha256: 's',
      size: 1,
      inputSha256: 'i2',
      runId: null,
    });
    index.storeInstance({
      instance: instance('2.25.43', 'SR', '2.25.31'),
      path: 'x3',
      sha256: 's',
      size: 1,
      inputSha256: 'i3',
      runId: null,
    });
    expect(db.prepare('SELECT modalities FROM studies').pluck().get()).toBe('CT\\SR');
    db.close();
  });

  it('records held and rejected inputs once each, and ingest runs with their counts', () => {
    const { db, index } = open();
    const run = index.startRun();
    index.recordHeld({
      inputSha256: 'h1',
      reason: 'burned-in text',
      quarantineName: 'q1.dcm',
      patientPseudonym: null,
      studyUid: null,
      runId: run,
    });
    index.recordHeld({
      inputSha256: 'h1',
      reason: 'burned-in text',
      quarantineName: 'q2.dcm',
      patientPseudonym: null,
      studyUid: null,
      runId: run,
    });
    index.recordRejected({ inputSha256: 'r1', reason: 'not DICOM', runId: run });
    index.recordRejected({ inputSha256: 'r1', reason: 'not DICOM', runId: run });
    expect(index.outcomeOfInput('h1')).toBe('held');
    expect(index.outcomeOfInput('r1')).toBe('rejected');
    expect(index.counts()).toMatchObject({ held: 1, rejected: 1 });
    expect(index.listHeld()).toEqual([
      { id: 1, reason: 'burned-in text', quarantineName: 'q1.dcm', heldAt: '2026-01-02T03:04:05.000Z' },
    ]);
    expect(index.lastCompletedIngestAt()).toBeNull();
    index.finishRun(
      run,
      { files: 2, deidentified: 0, held: 1, rejected: 1, alreadyIngested: 0, failed: 0 },
      'completed',
    );
    expect(index.lastCompletedIngestAt()).toBe('2026-01-02T03:04:05.000Z');
    db.close();
  });
});
