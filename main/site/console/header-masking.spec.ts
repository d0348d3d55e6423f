// Identified values never leave the agent, even for a file de-identification held back because its
// output still carried them: a real DICOM file written by pydicom with a patient's name, ID, birth
// date, accession number and a physician's name, planted also where the profile keeps values (so that
// verification holds the file), imported through the real dispatcher and handlers; every response the
// Studies, consent and audit pages get for it is searched for each planted value.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel, type HeaderRow } from '../../../shared/ipc/index.ts';
import { getString, parseDicom, Tags, type DicomElement, type DicomFile } from '../dicom/index.ts';
import { compareHeaders, mayIdentify } from './header-comparison.ts';
import {
  CT_SMALL,
  finishedImport,
  openHandlersTestSite,
  type HandlersTestSite,
} from './handlers-test-site.ts';

const PLANT = `
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
ds.PatientName = 'Leakner^Lisa'
ds.PatientID = 'LEAK7731'
ds.PatientBirthDate = '19610203'
ds.AccessionNumber = 'ACC55321'
ds.ReferringPhysicianName = 'Doctor^Dana'
# Attributes the profile keeps: verification finds the name and the ID there and holds the file.
ds.ManufacturerModelName = 'Scanner of Leakner'
ds.SoftwareVersions = 'build LEAK7731'
ds.add_new(0x00090010, 'LO', 'RADFED TEST')
ds.add_new(0x00091001, 'LO', 'private note on Leakner')
ds.save_as(sys.argv[2], write_like_original=False)
`;

const PLANTED = ['LEAKNER', 'LISA', 'LEAK7731', '19610203', 'ACC55321', 'DANA'];

/** The planted values and the file's original UIDs and study date: none may reach the browser. */
function identifiersOf(file: DicomFile): string[] {
  const original = [
    getString(file.dataset, Tags.StudyInstanceUID),
    getString(file.dataset, Tags.SeriesInstanceUID),
    getString(file.dataset, Tags.SOPInstanceUID),
    getString(file.dataset, Tags.StudyDate),
  ].map((v) => (v ?? '').trim());
  expect(original.every((v) => v.length >= 8)).toBe(true);
  return [...PLANTED, ...original];
}

function expectNoIdentifier(what: string, response: unknown, identifiers: readonly string[]): void {
  const text = JSON.stringify(response).toUpperCase();
  for (const value of identifiers)
    expect(text.includes(value.toUpperCase()), `${value} in ${what}`).toBe(false);
}

let site: HandlersTestSite;
beforeEach(() => {
  site = openHandlersTestSite();
});
afterEach(() => site.close());

describe('a held file in the web UI', () => {
  it('sends none of its identified values to the browser, in any response', async () => {
    const folder = site.inbox([]);
    mkdirSync(folder, { recursive: true });
    const planted = join(folder, 'planted.dcm');
    execFileSync('/usr/bin/python3', ['-c', PLANT, CT_SMALL, planted]);
    const identifiers = identifiersOf(parseDicom(readFileSync(planted)));

    const start = await site.call(IpcChannel.studiesImportStart, { folder });
    const progress = await finishedImport(site, start.importId);
    expect(progress.files[0]).toMatchObject({ status: 'held' });
    expect(progress.files[0]?.reason).toMatch(/^not released: patient (name component|id) found in/);
    const report = await site.call(IpcChannel.studiesReport, undefined);
    const heldId = report.held[0]?.id ?? 0;
    const fromQuarantine = await site.call(IpcChannel.studiesHeader, { kind: 'held', heldId });
    const fromImport = await site.call(IpcChannel.studiesHeader, {
      kind: 'import',
      importId: start.importId,
      file: 1,
    });

    // The page still shows what de-identification did, row by row.
    const row = (rows: HeaderRow[], keyword: string) => rows.find((r) => r.keyword === keyword);
    expect(row(fromQuarantine.rows, 'PatientID')?.after).toMatch(/^RF[0-9A-F]{16}$/);
    expect(row(fromQuarantine.rows, 'PatientName')?.before).toBe('•••••• (12 characters)');
    expect(row(fromQuarantine.rows, 'ManufacturerModelName')).toMatchObject({
      action: 'kept',
      before: '•••••• (18 characters)',
      after: '•••••• (18 characters)',
    });
    expect(row(fromQuarantine.rows, 'Modality')).toMatchObject({ action: 'kept', before: 'CT', after: 'CT' });
    expect(fromImport.rows).toEqual(fromQuarantine.rows);

    const responses: Record<string, unknown> = {
      'studies:import-start': start,
      'studies:import-progress': progress,
      'studies:report': report,
      'studies:header (held)': fromQuarantine,
      'studies:header (import)': fromImport,
      'site:status': await site.call(IpcChannel.siteStatus, undefined),
      'consent:list': await site.call(IpcChannel.consentList, undefined),
      'audit:search': await site.call(IpcChannel.auditSearch, { page: 1, pageSize: 100 }),
      'audit:export-csv': await site.call(IpcChannel.auditExportCsv, undefined),
    };
    for (const [what, response] of Object.entries(responses)) expectNoIdentifier(what, response, identifiers);
  });
});

describe('compareHeaders', () => {
  const text = (tag: number, vr: DicomElement['vr'], value: string): DicomElement => ({
    tag,
    vr,
    value: Buffer.from(value, 'latin1'),
  });
  const fileOf = (...elements: DicomElement[]): DicomFile => {
    const base = parseDicom(readFileSync(CT_SMALL));
    return { ...base, dataset: new Map(elements.map((e) => [e.tag, e])) };
  };

  it('masks a kept original value of an attribute that may identify, and shows a kept code', () => {
    const station = text(0x00081010, 'SH', 'WARD7 CT');
    const model = text(0x00081090, 'LO', 'Optima 660');
    const modality = text(Tags.Modality, 'CS', 'CT ');
    const rows = compareHeaders(fileOf(station, model, modality), fileOf(station, model, modality));
    expect(rows.find((r) => r.keyword === 'StationName')).toMatchObject({
      action: 'kept',
      before: '•••••• (8 characters)',
    });
    expect(rows.find((r) => r.keyword === 'ManufacturerModelName')).toMatchObject({
      before: '•••••• (10 characters)',
      after: 'Optima 660',
    });
    expect(rows.find((r) => r.keyword === 'Modality')).toMatchObject({ before: 'CT', after: 'CT' });
  });

  it('masks, on both sides, a shown value that holds a value de-identification removed', () => {
    const software = text(0x00181020, 'LO', 'build LEAK7731');
    const rows = compareHeaders(fileOf(software), fileOf(software), { removedValues: /LEAK7731/gi });
    expect(rows.find((r) => r.keyword === 'SoftwareVersions')).toMatchObject({
      before: '•••••• (14 characters)',
      after: '•••••• (14 characters)',
    });
  });

  it('counts as identifying what Table E.1-1 lists, private attributes and free-text VRs, not codes', () => {
    expect(mayIdentify(Tags.PatientSex, 'CS')).toBe(true); // listed
    expect(mayIdentify(0x00091001, 'DS')).toBe(true); // private
    expect(mayIdentify(0x00181020, 'LO')).toBe(true); // free text
    expect(mayIdentify(Tags.Modality, 'CS')).toBe(false);
    expect(mayIdentify(0x00280010, 'US')).toBe(false); // Rows
  });
});
