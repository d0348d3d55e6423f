// Consent at ingest and withdrawal, end to end on real files: DICOM written by pydicom and by our
// synthesizer (with its consent export), a real site, the real de-identification engine and SQLite.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { patientPseudonym } from '../deid/index.ts';
import { ingestPath } from '../ingest/index.ts';
import type { Site } from '../store/index.ts';
import { synthesizeStudies, type SynthResult } from '../synth/index.ts';
import {
  CLOCK,
  count,
  databaseBytes,
  newSite,
  writeCsv,
  writeExport,
  type TestPatient,
} from './consent-test-support.ts';
import { NO_DATA_MESSAGE } from './consent-reports.ts';
import { SiteConsent } from './site-consent.ts';

const PATIENTS: TestPatient[] = [
  { id: 'CONSENT-P1', name: 'Doe^Jane', source: 'CT_small.dcm' },
  { id: 'CONSENT-P2', name: 'Roe^Richard', source: 'MR_small.dcm' },
  { id: 'CONSENT-P2', name: 'Roe^Richard', source: 'MR_small.dcm', burnedIn: true },
  { id: 'CONSENT-P3', name: 'Poe^Edgar', source: 'CT_small.dcm' },
];
const IDENTIFIERS = ['CONSENT-P', 'Doe^Jane', 'Roe^Richard', 'Poe^Edgar', 'Richard', 'Edgar'];

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

let exportDir: string;
beforeAll(() => {
  exportDir = writeExport(PATIENTS);
});

const pseudonym = (site: Site, id: string) => patientPseudonym(site.secret, id);
const researchPatients = (site: Site) => readdirSync(site.paths.research).sort();

describe('ingest respects the consent policy', () => {
  it('opt-in: stores only patients with a grant; the others are excluded, not held, and leave no copy', async () => {
    const site = newSite('opt-in');
    const consent = new SiteConsent(site, { clock: CLOCK });
    await consent.importCsv(
      writeCsv('patient_id,status,date\nCONSENT-P1,granted,2024-01-01\nCONSENT-P3,refused,2024-01-01\n'),
    );
    const seen: string[] = [];
    const summary = await ingestPath(site, exportDir, {
      clock: CLOCK,
      onProgress: (_d, _t, o) => seen.push(o.status),
    });
    expect(summary).toMatchObject({ files: 4, deidentified: 1, held: 0, excluded: 3 });
    expect(seen.filter((s) => s === 'excluded')).toHaveLength(3);
    expect(researchPatients(site)).toEqual([pseudonym(site, 'CONSENT-P1')]);
    expect(readdirSync(site.paths.quarantine)).toEqual([]);
    expect(count(site, 'held')).toBe(0);

    const excluded = consent.exclusions.list();
    // One row per excluded study (P2 has two), by pseudonym and de-identified study UID.
    expect(excluded.map((x) => [x.pseudonym, x.files, x.reason]).sort()).toEqual(
      [
        [pseudonym(site, 'CONSENT-P2'), 1, 'no consent granted (this site is opt-in)'],
        [pseudonym(site, 'CONSENT-P2'), 1, 'no consent granted (this site is opt-in)'],
        [pseudonym(site, 'CONSENT-P3'), 1, 'consent refused'],
      ].sort(),
    );
    expect(excluded.every((x) => x.studyUid?.startsWith('2.25.'))).toBe(true);
    const audit = new AuditLog(site.database);
    const [entry] = audit.list({ type: 'consent.excluded' });
    expect(entry?.detail).toMatchObject({ policy: 'opt-in', files: 3 });
    expect(entry?.detail.patients).toContainEqual({
      pseudonym: pseudonym(site, 'CONSENT-P3'),
      files: 1,
      studies: 1,
      reason: 'consent refused',
    });
    expect(audit.list({ type: 'ingest.completed' })[0]?.detail).toMatchObject({
      deidentified: 1,
      excluded: 3,
    });
    expect(consent.consentedPseudonyms()).toEqual([pseudonym(site, 'CONSENT-P1')]);
    site.database.close();
  });

  it('opt-out: stores everyone but those who refused; a held file of a patient who is in stays held', async () => {
    const site = newSite('opt-out');
    const consent = new SiteConsent(site, { clock: CLOCK });
    await consent.set({ patientId: 'CONSENT-P3', status: 'refused', date: '2024-01-01' });
    const summary = await ingestPath(site, exportDir, { clock: CLOCK });
    expect(summary).toMatchObject({ files: 4, deidentified: 2, held: 1, excluded: 1 });
    expect(researchPatients(site)).toEqual(
      [pseudonym(site, 'CONSENT-P1'), pseudonym(site, 'CONSENT-P2')].sort(),
    );
    expect(consent.consentedPseudonyms()).toHaveLength(2);
    site.database.close();
  });

  it('a later grant brings an excluded patient in on the next ingest, and clears the exclusion', async () => {
    const site = newSite('opt-in');
    const consent = new SiteConsent(site, { clock: CLOCK });
    await consent.set({ patientId: 'CONSENT-P1', status: 'granted', date: '2024-01-01' });
    await ingestPath(site, exportDir, { clock: CLOCK });
    expect(consent.exclusions.list().map((x) => x.pseudonym)).toContain(pseudonym(site, 'CONSENT-P3'));
    await consent.set({ patientId: 'CONSENT-P3', status: 'granted', date: '2025-01-01' });
    const again = await ingestPath(site, exportDir, { clock: CLOCK });
    expect(again).toMatchObject({ deidentified: 1, alreadyIngested: 1, excluded: 2 });
    expect(consent.exclusions.list().map((x) => x.pseudonym)).not.toContain(pseudonym(site, 'CONSENT-P3'));
    site.database.close();
  });
});

describe('withdrawal', () => {
  let site: Site;
  let consent: SiteConsent;
  let log: ReturnType<typeof memoryLogger>;
  let p1: string;
  let p2: string;
  let p3: string;

  beforeAll(async () => {
    site = newSite('opt-out');
    log = memoryLogger();
    consent = new SiteConsent(site, { clock: CLOCK, logger: log.logger });
    await ingestPath(site, exportDir, { clock: CLOCK, logger: log.logger });
    p1 = pseudonym(site, 'CONSENT-P1');
    p2 = pseudonym(site, 'CONSENT-P2');
    p3 = pseudonym(site, 'CONSENT-P3');
    // The trainer's tensor cache, and a completed round that used P2's data.
    mkdirSync(join(site.directory, 'cache', p2), { recursive: true });
    writeFileSync(join(site.directory, 'cache', p2, 'study.tensor'), 'cached');
    mkdirSync(join(site.directory, 'cache', p1), { recursive: true });
    site.database
      .prepare(
        'INSERT INTO round_participation (round_id, task_id, pseudonym, completed_at) VALUES (?, ?, ?, ?)',
      )
      .run('3', 'chest-nodules', p2, '2026-03-01T00:00:00Z');
  });

  it('purges the patient from the research store, the index, quarantine and the tensor cache', async () => {
    const held = site.database
      .prepare('SELECT quarantine_name FROM held WHERE patient_pseudonym = ?')
      .pluck()
      .get(p2);
    expect(existsSync(join(site.paths.quarantine, String(held)))).toBe(true);
    const otherFiles = filesUnder(join(site.paths.research, p1));

    const report = await consent.withdraw({ patientId: 'CONSENT-P2' });
    expect(report).toMatchObject({ pseudonym: p2, inForce: true });
    expect(report.purged).toMatchObject({ studies: 1, instances: 1, heldFiles: 1, cacheRemoved: true });
    expect(report.message).toMatch(
      /purged 1 study \(1 image\), 1 held file, and their prepared training data; 1 completed round/,
    );

    expect(existsSync(join(site.paths.research, p2))).toBe(false);
    expect(existsSync(join(site.directory, 'cache', p2))).toBe(false);
    expect(existsSync(join(site.paths.quarantine, String(held)))).toBe(false);
    for (const [table, column] of [
      ['patients', 'pseudonym'],
      ['studies', 'patient_pseudonym'],
      ['held', 'patient_pseudonym'],
    ]) {
      expect(site.database.prepare(`SELECT COUNT(*) FROM ${table} WHERE ${column} = ?`).pluck().get(p2)).toBe(
        0,
      );
    }
    expect(count(site, 'instances')).toBe(2);
    expect(count(site, 'instance_sources')).toBe(2);
    // Nobody else was touched.
    expect(filesUnder(join(site.paths.research, p1))).toEqual(otherFiles);
    expect(existsSync(join(site.directory, 'cache', p1))).toBe(true);
  });

  it('audits the withdrawal and the purge, naming the completed rounds that had used the data', () => {
    const audit = new AuditLog(site.database);
    const rounds = [{ taskId: 'chest-nodules', roundId: '3', completedAt: '2026-03-01T00:00:00Z' }];
    expect(audit.list({ type: 'consent.withdrawn' })[0]?.detail).toEqual({
      pseudonym: p2,
      date: '2026-04-05',
      inForce: true,
      dataHeld: true,
      roundsThatUsedTheirData: rounds,
    });
    expect(audit.list({ type: 'consent.purged' })[0]?.detail).toMatchObject({
      pseudonym: p2,
      cause: 'consent.withdrawn',
      reason: 'consent withdrawn',
      studies: 1,
      instances: 1,
      heldFiles: 1,
      cacheRemoved: true,
      roundsThatUsedTheirData: rounds,
    });
    expect(audit.verify()).toMatchObject({ ok: true });
  });

  it('keeps the patient out of later ingests, cohorts and rounds', async () => {
    const again = await ingestPath(site, exportDir, { clock: CLOCK, logger: log.logger });
    expect(again).toMatchObject({ files: 4, deidentified: 0, held: 0, excluded: 2, alreadyIngested: 2 });
    expect(existsSync(join(site.paths.research, p2))).toBe(false);
    expect(consent.isPatientIn(p2)).toBe(false);
    expect(consent.consentedPseudonyms()).toEqual([p1, p3].sort());
  });

  it('records a withdrawal for a patient with no data, and says so', async () => {
    const audit = new AuditLog(site.database);
    const report = await consent.withdraw({ patientId: 'CONSENT-NEVER-SEEN' });
    expect(report).toMatchObject({ inForce: true, purged: null, rounds: [], message: NO_DATA_MESSAGE });
    expect(audit.list({ type: 'consent.withdrawn', order: 'desc' })[0]?.detail).toMatchObject({
      dataHeld: false,
      roundsThatUsedTheirData: [],
    });
    expect(consent.isPatientIn(pseudonym(site, 'CONSENT-NEVER-SEEN'))).toBe(false);
  });

  it('a withdrawal list purges each patient in it', async () => {
    const reports = await consent.withdrawCsv(
      writeCsv('patient_id,date\nCONSENT-P1,2026-04-01\nCONSENT-P9,2026-04-01\n'),
    );
    expect(reports.map((r) => [r.pseudonym, r.purged?.studies ?? null])).toEqual([
      [p1, 1],
      [pseudonym(site, 'CONSENT-P9'), null],
    ]);
    expect(researchPatients(site)).toEqual([p3]);
    expect(existsSync(join(site.directory, 'cache', p1))).toBe(false);
  });

  it('never lets a patient identifier into the database, the audit log, the logs or a file name', () => {
    const bytes = databaseBytes(site);
    const audit = new AuditLog(site.database).exportCsv();
    const names = filesUnder(site.directory).join('\n');
    for (const value of IDENTIFIERS) {
      expect(bytes).not.toContain(value);
      expect(audit).not.toContain(value);
      expect(log.text()).not.toContain(value);
      expect(names).not.toContain(value);
    }
    expect(log.text()).toContain('consent withdrawn');
  });
});

describe('with the synthesizer corpus and its consent export', () => {
  let synth: SynthResult;
  beforeAll(async () => {
    synth = await synthesizeStudies({
      outDir: join(mkdtempSync(join(tmpdir(), 'radfed-consent-synth-')), 'out'),
      sites: 1,
      patients: 6,
      seed: 5,
      ctSlices: 2,
      ctMatrix: 32,
      radiographSize: 32,
      modalities: ['RADIOGRAPH'],
    });
  });

  it('an opt-in site stores exactly the patients the export grants, and excludes the refusals', async () => {
    const csv = synth.consent['site-01'] ?? '';
    const rows = readFileSync(csv, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const refusedIds = rows.filter((r) => r[1] === 'refused').map((r) => r[0] ?? '');
    const grantedIds = rows.filter((r) => r[1] === 'granted').map((r) => r[0] ?? '');
    expect(refusedIds.length).toBeGreaterThan(0);
    const refusedIndexes = new Set(rows.flatMap((r, i) => (r[1] === 'refused' ? [i + 1] : [])));
    const refusedFiles = synth.files.filter((f) => refusedIndexes.has(f.patientIndex)).length;

    const site = newSite('opt-in');
    const consent = new SiteConsent(site, { clock: CLOCK });
    expect(await consent.importCsv(csv)).toMatchObject({ added: rows.length });
    const summary = await ingestPath(site, join(synth.studies[0]?.dir ?? '', '..'), { clock: CLOCK });
    expect(summary).toMatchObject({ excluded: refusedFiles, files: synth.files.length });
    expect(researchPatients(site)).toEqual(grantedIds.map((id) => pseudonym(site, id)).sort());
    expect(consent.consentedPseudonyms()).toEqual(grantedIds.map((id) => pseudonym(site, id)).sort());
    const planted = [...new Set(synth.files.flatMap((f) => f.planted))].filter((v) => v.length >= 6);
    const bytes = databaseBytes(site);
    for (const value of [...planted, ...refusedIds, ...grantedIds]) expect(bytes).not.toContain(value);
    site.database.close();
  });
});
