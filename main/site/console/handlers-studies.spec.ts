import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel, type HeaderRow } from '../../../shared/ipc/index.ts';
import { getString, parseDicom, Tags } from '../dicom/index.ts';
import {
  CT_SMALL,
  finishedImport,
  MR_SMALL,
  openHandlersTestSite,
  SC_SMALL,
  type HandlersTestSite,
} from './handlers-test-site.ts';

let site: HandlersTestSite;
beforeEach(() => {
  site = openHandlersTestSite();
});
afterEach(() => site.close());

/** The identifying values of a real file, to check that none comes back to the screen. */
function identifiersOf(path: string): string[] {
  const { dataset, meta } = parseDicom(readFileSync(path));
  const values = [
    getString(dataset, Tags.PatientName),
    getString(dataset, Tags.PatientID),
    getString(dataset, Tags.StudyInstanceUID),
    getString(dataset, Tags.SeriesInstanceUID),
    getString(dataset, Tags.SOPInstanceUID),
    getString(meta, Tags.MediaStorageSOPInstanceUID),
    getString(dataset, Tags.StudyDate),
  ];
  return values.filter((v): v is string => v !== undefined && v.trim().length >= 4).map((v) => v.trim());
}

const row = (rows: HeaderRow[], keyword: string) => rows.find((r) => r.keyword === keyword);

async function importFolder(files: string[], text?: Record<string, string>) {
  const folder = site.inbox(files, text);
  const { importId } = await site.call(IpcChannel.studiesImportStart, { folder });
  return { importId, progress: await finishedImport(site, importId) };
}

describe('studies:import-start and studies:import-progress', () => {
  it('imports a folder in the background and reports every file by number and outcome', async () => {
    const { importId, progress } = await importFolder([CT_SMALL, MR_SMALL, SC_SMALL], {
      'notes.txt': 'not DICOM',
    });
    expect(progress).toMatchObject({ importId, state: 'completed', done: 4, total: 4, error: null });
    expect(progress.counts).toEqual({
      deidentified: 2,
      held: 1,
      rejected: 1,
      excluded: 0,
      alreadyIngested: 0,
      failed: 0,
    });
    expect(progress.files.map((f) => f.number)).toEqual([1, 2, 3, 4]);
    expect(progress.files.filter((f) => f.status === 'held')[0]?.reason).toMatch(/burned-in text/);
    // Neither the folder name (which carries a name here) nor any file name reaches the page.
    const text = JSON.stringify(progress);
    for (const leak of ['DOE^JANE', '1234567', 'CT_small', 'notes.txt']) expect(text).not.toContain(leak);
  });

  it('says in words that a folder does not exist, without repeating its path', async () => {
    const answer = await site.raw('studies:import-start', { folder: `${site.root}/SMITH^JOHN missing` });
    expect(answer).toMatchObject({ ok: false, error: { code: 'folder-not-found' } });
    expect(JSON.stringify(answer)).not.toContain('SMITH');
  });

  it('answers unknown-import for an id it does not know', async () => {
    const answer = await site.raw('studies:import-progress', { importId: 'no-such-import' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'unknown-import' } });
  });
});

describe('studies:header', () => {
  it('shows a stored instance before and after, the original values masked and the pseudonym shown', async () => {
    const { importId, progress } = await importFolder([CT_SMALL]);
    expect(progress.files[0]?.status).toBe('deidentified');
    const header = await site.call(IpcChannel.studiesHeader, { kind: 'import', importId, file: 1 });

    expect(header).toMatchObject({
      beforeFrom: 'the source file',
      afterFrom: 'the stored de-identified file',
      notice: null,
    });
    const name = row(header.rows, 'PatientName');
    expect(name?.action).toBe('replaced');
    expect(name?.before).toMatch(/^•••••• \(\d+ characters\)$/);
    expect(name?.after).toMatch(/^RF[0-9A-F]{16}$/);
    expect(row(header.rows, 'StudyInstanceUID')).toMatchObject({
      action: 'replaced',
      before: expect.stringMatching(/^••••••/),
    });
    // A value de-identification kept is the same on both sides (and it is in the released file anyway).
    const modality = row(header.rows, 'Modality');
    expect(modality).toMatchObject({ action: 'kept', before: 'CT', after: 'CT' });
    expect(row(header.rows, 'PatientIdentityRemoved')).toMatchObject({
      action: 'added',
      before: null,
      after: 'YES',
    });

    const text = JSON.stringify(header);
    for (const identifier of identifiersOf(CT_SMALL)) expect(text).not.toContain(identifier);
  });

  it('shows a held file from its quarantine copy, de-identified in memory and not stored', async () => {
    await importFolder([SC_SMALL]);
    const report = await site.call(IpcChannel.studiesReport, undefined);
    const heldId = report.held[0]?.id ?? 0;
    const header = await site.call(IpcChannel.studiesHeader, { kind: 'held', heldId });

    expect(header.beforeFrom).toBe('the identified copy kept in quarantine');
    expect(header.afterFrom).toMatch(/not stored/);
    expect(row(header.rows, 'PatientID')?.after).toMatch(/^RF[0-9A-F]{16}$/);
    const text = JSON.stringify(header);
    for (const identifier of identifiersOf(SC_SMALL)) expect(text).not.toContain(identifier);
  });

  it('explains, with no rows, why a file that is not DICOM has no header', async () => {
    const { importId } = await importFolder([], { 'a.txt': 'not DICOM' });
    const header = await site.call(IpcChannel.studiesHeader, { kind: 'import', importId, file: 1 });
    expect(header.rows).toEqual([]);
    expect(header.notice).toMatch(/could not be read as DICOM/);
  });

  it('rejects a request for a file the import does not have', async () => {
    const { importId } = await importFolder([CT_SMALL]);
    const answer = await site.raw('studies:header', { kind: 'import', importId, file: 2 });
    expect(answer).toMatchObject({ ok: false, error: { code: 'unknown-file' } });
  });
});

describe('studies:report', () => {
  it('counts what the store holds and lists held and rejected files by reason, with the runs', async () => {
    await importFolder([CT_SMALL, SC_SMALL], { 'a.txt': 'not DICOM', 'b.txt': 'not DICOM either' });
    const report = await site.call(IpcChannel.studiesReport, undefined);
    expect(report.counts).toMatchObject({ instances: 1, held: 1, rejected: 2 });
    expect(report.heldReasons).toEqual([
      {
        reason: expect.stringMatching(/burned-in text/),
        // Plain words for the screen; the tag numbers stay in the technical reason.
        plain: expect.stringMatching(/patient details written into the picture/),
        files: 1,
      },
    ]);
    expect(report.heldReasons[0]?.plain).not.toMatch(/\(\d{4},|burned-in|SOP/);
    expect(report.rejectedReasons[0]?.plain).toMatch(/could not read these files as DICOM images/);
    expect(report.rejectedReasons.reduce((n, r) => n + r.files, 0)).toBe(2);
    expect(report.held).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({
      status: 'completed',
      files: 4,
      deidentified: 1,
      held: 1,
      rejected: 2,
    });
    expect(report.profile).toMatch(/^PS3\.15/);
  });
});
