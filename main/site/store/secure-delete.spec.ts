// A withdrawal must leave nothing of the patient readable in the database files: not in free space
// inside pages, not in freed pages, not in older page copies in the write-ahead log. End to end on a
// real site: real DICOM written by pydicom, the real ingest, the real withdrawal, and the bytes of
// site.db, site.db-wal and site.db-shm read straight from disk.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLOCK, newSite, writeExport, type TestPatient } from '../consent/consent-test-support.ts';
import { SiteConsent } from '../consent/index.ts';
import { patientPseudonym } from '../deid/index.ts';
import { ingestPath } from '../ingest/index.ts';
import { openSite, type Site } from './index.ts';

const PATIENTS: TestPatient[] = [
  { id: 'ERASE-KEPT', name: 'Keep^Kim', source: 'CT_small.dcm' },
  { id: 'ERASE-GONE', name: 'Gone^Gary', source: 'MR_small.dcm' },
  { id: 'ERASE-GONE', name: 'Gone^Gary', source: 'CT_small.dcm' },
  // Held back for burned-in text: a `held` row with the patient's pseudonym and de-identified study.
  { id: 'ERASE-GONE', name: 'Gone^Gary', source: 'MR_small.dcm', burnedIn: true },
];

/** Every value the index held of one patient: de-identified UIDs, keyed hashes, file hashes, paths. */
function valuesOf(site: Site, pseudonym: string): string[] {
  const db = site.database;
  const column = (sql: string): string[] =>
    db
      .prepare<[string], string | null>(sql)
      .pluck()
      .all(pseudonym)
      .filter((v): v is string => typeof v === 'string' && v.length > 0);
  const ofStudies = 'FROM studies WHERE patient_pseudonym = ?';
  const ofInstances = `FROM instances JOIN series USING (series_uid) JOIN studies USING (study_uid)
    WHERE patient_pseudonym = ?`;
  return [
    ...column(`SELECT study_uid ${ofStudies}`),
    ...column(`SELECT accession_hash ${ofStudies}`),
    ...column(`SELECT study_uid_hash ${ofStudies}`),
    ...column(`SELECT series_uid FROM series JOIN studies USING (study_uid) WHERE patient_pseudonym = ?`),
    ...column(`SELECT sop_uid ${ofInstances}`),
    ...column(`SELECT instances.sha256 ${ofInstances}`),
    ...column(`SELECT instances.input_sha256 ${ofInstances}`),
    ...column(`SELECT path ${ofInstances}`),
    ...column('SELECT input_sha256 FROM held WHERE patient_pseudonym = ?'),
    ...column('SELECT quarantine_name FROM held WHERE patient_pseudonym = ?'),
    ...column('SELECT study_uid FROM held WHERE patient_pseudonym = ?'),
  ];
}

/** The database file, its write-ahead log and its shared-memory index, as latin1 text. */
function onDisk(site: Site): string {
  const db = site.paths.database;
  return [db, `${db}-wal`, `${db}-shm`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');
}

const occurrences = (text: string, value: string): number => text.split(value).length - 1;

/** How often the value is in the live rows: a compact copy of the database has no free space. */
function liveOccurrences(site: Site, value: string): number {
  const copy = join(mkdtempSync(join(tmpdir(), 'radfed-live-')), 'live.db');
  site.database.prepare('VACUUM INTO ?').run(copy);
  return occurrences(readFileSync(copy).toString('latin1'), value);
}

describe('a withdrawal leaves nothing of the patient readable in site.db', () => {
  let site: Site;
  let gone: string;
  let kept: string;
  let removed: string[];

  beforeAll(async () => {
    site = newSite('opt-out');
    await ingestPath(site, writeExport(PATIENTS), { clock: CLOCK });
    gone = patientPseudonym(site.secret, 'ERASE-GONE');
    kept = patientPseudonym(site.secret, 'ERASE-KEPT');
    removed = valuesOf(site, gone);
    // The files on disk hold every value before the withdrawal (or the scan below would prove nothing).
    site.database.pragma('wal_checkpoint(PASSIVE)');
    const before = onDisk(site);
    for (const value of removed) expect(before, 'planted before withdrawal').toContain(value);
    await new SiteConsent(site, { clock: CLOCK }).withdraw({ patientId: 'ERASE-GONE' });
  });

  it('collected de-identified UIDs, keyed hashes and held-file records of the withdrawn patient', () => {
    // 2 studies (one held), 2 stored instances: enough to span several rows of every table.
    expect(removed.length).toBeGreaterThanOrEqual(12);
    expect(valuesOf(site, kept).length).toBeGreaterThan(0);
  });

  it('has none of them in site.db, site.db-wal or site.db-shm while the site is still open', () => {
    const bytes = onDisk(site);
    for (const value of removed) expect(bytes.includes(value), `a removed value is on disk`).toBe(false);
    // The pseudonym stays where the consent register and the audit log keep it, and nowhere else.
    expect(occurrences(bytes, gone)).toBe(liveOccurrences(site, gone));
  });

  it('has none of them in the files once the site is closed, and keeps the other patient', () => {
    const directory = site.directory;
    site.database.close();
    const bytes = onDisk(site);
    for (const value of removed) expect(bytes.includes(value), `a removed value is on disk`).toBe(false);
    site = openSite(directory);
    expect(occurrences(onDisk(site), gone)).toBe(liveOccurrences(site, gone));
    expect(valuesOf(site, kept).length).toBeGreaterThan(0);
    site.database.close();
  });

  it('zeroes deleted rows on every connection to site.db (secure_delete)', () => {
    const reopened = openSite(site.directory);
    expect(reopened.database.pragma('secure_delete', { simple: true })).toBe(1);
    reopened.database.close();
  });
});
