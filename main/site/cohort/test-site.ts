// For the cohort tests: a real site in a temp folder, with synthesized studies ingested through the
// real ingest path (real de-identification, real SQLite), and what the tests need to know of the
// identified originals (accession numbers, Study Instance UIDs, patient IDs) to check against.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getString, parseDicom, Tags } from '../dicom/index.ts';
import { accessionHash, patientPseudonym, type DeidOption } from '../deid/index.ts';
import { ingestPath } from '../ingest/index.ts';
import { initSite, openSite, type Site } from '../store/index.ts';
import { synthesizeStudies, type SynthStudy } from '../synth/index.ts';

export interface OriginalStudy extends SynthStudy {
  studyInstanceUid: string;
  patientId: string;
  /** The pseudonym the site gives this patient. */
  pseudonym: string;
  /** The label as the synthetic labels CSV writes it. */
  labelName: 'nodule' | 'normal';
  /** Whether any of its files reached the research store (a study can be held back whole). */
  stored: boolean;
  /** Its de-identified Study Instance UID, when stored. */
  deidentifiedUid: string | null;
}

export interface TestSite {
  root: string;
  site: Site;
  studies: OriginalStudy[];
  /** Path of the synthetic labels CSV (accession_number,label). */
  labelsCsv: string;
  close(): void;
}

export interface TestSiteOptions {
  patients?: number;
  seed?: number;
  deidOptions?: DeidOption[];
  /** The research the site's consent covers (site.json consentScope). */
  consentScope?: string;
  /** Runs after set-up and before ingest (e.g. to record a refusal), with the originals known. */
  beforeIngest?(site: Site, studies: readonly OriginalStudy[]): void | Promise<void>;
}

export async function makeTestSite(options: TestSiteOptions = {}): Promise<TestSite> {
  const root = mkdtempSync(join(tmpdir(), 'radfed-cohort-'));
  const input = join(root, 'in');
  const synth = await synthesizeStudies({
    outDir: input,
    sites: 1,
    patients: options.patients ?? 16,
    seed: options.seed ?? 7,
    ctSlices: 2,
    ctMatrix: 16,
    radiographSize: 32,
  });
  const dir = join(root, 'site');
  initSite(dir, {
    name: 'Cohort Test Site',
    deidOptions: options.deidOptions ?? [],
    consentPolicy: 'opt-out',
    ...(options.consentScope !== undefined && { consentScope: options.consentScope }),
  });
  const site = openSite(dir);
  const studies = synth.studies.map((study): OriginalStudy => {
    const seriesDir = join(study.dir, readdirSync(study.dir).sort()[0]!);
    const file = parseDicom(readFileSync(join(seriesDir, readdirSync(seriesDir).sort()[0]!)));
    const patientId = getString(file.dataset, Tags.PatientID)!.trim();
    return {
      ...study,
      studyInstanceUid: getString(file.dataset, Tags.StudyInstanceUID)!.trim(),
      patientId,
      pseudonym: patientPseudonym(site.secret, patientId),
      labelName: study.label === 1 ? 'nodule' : 'normal',
      stored: false,
      deidentifiedUid: null,
    };
  });
  await options.beforeIngest?.(site, studies);
  await ingestPath(site, join(input, 'site-01'));
  const byAccession = site.database
    .prepare<[string], string>('SELECT study_uid FROM studies WHERE accession_hash = ?')
    .pluck();
  for (const study of studies) {
    study.deidentifiedUid = byAccession.get(accessionHash(site.secret, study.accessionNumber)) ?? null;
    study.stored = study.deidentifiedUid !== null;
  }
  return {
    root,
    site,
    studies,
    labelsCsv: synth.labels['site-01']!,
    close() {
      site.database.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Every byte of the site database, WAL included: what a leak check must search. */
export function databaseBytes(site: Site): Buffer {
  site.database.pragma('wal_checkpoint(TRUNCATE)');
  const parts = [readFileSync(site.paths.database)];
  for (const suffix of ['-wal', '-shm']) {
    try {
      parts.push(readFileSync(`${site.paths.database}${suffix}`));
    } catch {
      // absent: nothing to search
    }
  }
  return Buffer.concat(parts);
}
