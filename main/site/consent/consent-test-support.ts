// Shared by the consent tests: real site folders (SQLite in a temp dir) and real DICOM inputs written
// by pydicom from its own test files, with the Patient IDs a test needs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initSite, openSite, type Site } from '../store/index.ts';

export const PYTHON = '/usr/bin/python3';
export const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
export const CLOCK = () => new Date('2026-04-05T10:00:00Z');

export function newSite(policy: 'opt-in' | 'opt-out' | undefined, consentScope?: string): Site {
  const dir = join(mkdtempSync(join(tmpdir(), 'radfed-consent-')), 'site');
  initSite(dir, {
    name: 'Consent test site',
    deidOptions: [],
    ...(policy === undefined ? {} : { consentPolicy: policy }),
    ...(consentScope === undefined ? {} : { consentScope }),
    clock: CLOCK,
  });
  return openSite(dir);
}

export interface TestPatient {
  id: string;
  name: string;
  /** A pydicom test file to start from. */
  source: 'CT_small.dcm' | 'MR_small.dcm';
  /** Marks the file as having burned-in text, so ingest holds it back. */
  burnedIn?: boolean;
}

const WRITE_EXPORT = `
import json, os, sys, pydicom
src, out, patients = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
for n, p in enumerate(patients):
    ds = pydicom.dcmread(os.path.join(src, p['source']))
    ds.PatientID = p['id']; ds.PatientName = p['name']
    ds.SOPInstanceUID = ds.SOPInstanceUID + '.' + str(n + 1)
    ds.StudyInstanceUID = ds.StudyInstanceUID + '.' + str(n + 1)
    ds.SeriesInstanceUID = ds.SeriesInstanceUID + '.' + str(n + 1)
    if p.get('burnedIn'): ds.BurnedInAnnotation = 'YES'
    folder = os.path.join(out, p['name'])
    os.makedirs(folder, exist_ok=True)
    ds.save_as(os.path.join(folder, p['id'] + '-' + str(n + 1) + '.dcm'), write_like_original=False)
`;

/** A folder of DICOM files, one per entry, named after the patient as PACS exports often are. */
export function writeExport(patients: readonly TestPatient[]): string {
  const out = join(mkdtempSync(join(tmpdir(), 'radfed-consent-in-')), 'export');
  execFileSync(PYTHON, ['-c', WRITE_EXPORT, TEST_FILES, out, JSON.stringify(patients)]);
  return out;
}

export function writeCsv(text: string | Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'radfed-consent-csv-')), 'consent.csv');
  writeFileSync(path, text);
  return path;
}

/** Everything SQLite holds on disk for the site: the database file and its write-ahead log. */
export function databaseBytes(site: Site): string {
  const files = [site.paths.database, `${site.paths.database}-wal`].filter((f) => existsSync(f));
  return files.map((f) => readFileSync(f).toString('latin1')).join('');
}

export const count = (site: Site, table: string): number =>
  site.database.prepare<[], number>(`SELECT COUNT(*) FROM ${table}`).pluck().get() ?? 0;
