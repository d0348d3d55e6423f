// Clean and release, and the held-file policy at ingest, with real OCR (main/site/burned-in) on a
// synthetic radiograph whose label draws the fake patient's name, ID and dates in real letters: held at
// ingest, cleaned, read again, de-identified and stored; or, under "clean and still ask", cleaned in
// quarantine and left for a person.
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { closeBurnedInOcr } from '../burned-in/index.ts';
import { getString, parseDicom, Tags } from '../dicom/index.ts';
import { ingestPath, IngestRun } from '../ingest/index.ts';
import { initSite, openSite, readSiteConfig, writeSiteConfig, type Site } from '../store/index.ts';
import { synthesizeStudies } from '../synth/index.ts';
import { cleanAndRelease, listHeldFiles, releaseAsIs } from './index.ts';
import type { HeldFilePolicy } from '../../../shared/ipc/index.ts';

let tmp = '';
let radiograph = '';
let secrets: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'radfed-held-clean-'));
  // Seed 7 with 20 patients gives a radiograph flagged Burned In Annotation YES (burned-in.spec.ts).
  const result = await synthesizeStudies({
    outDir: join(tmp, 'corpus'),
    sites: 1,
    patients: 20,
    seed: 7,
    modalities: ['RADIOGRAPH'],
  });
  const file = result.files.find(
    (f) => getString(parseDicom(readFileSync(f.path)).dataset, Tags.BurnedInAnnotation)?.trim() === 'YES',
  );
  if (!file) throw new Error('the synthetic corpus has no burned-in radiograph');
  radiograph = file.path;
  const ds = parseDicom(readFileSync(radiograph)).dataset;
  secrets = [...(getString(ds, Tags.PatientName) ?? '').split('^'), getString(ds, Tags.PatientID) ?? '']
    .map((v) => v.trim())
    .filter((v) => v.length >= 3);
}, 120_000);

afterAll(async () => {
  await closeBurnedInOcr();
  rmSync(tmp, { recursive: true, force: true });
});

/** A new site (opt-out) with the given policy, that has ingested the burned-in radiograph. */
async function siteWith(
  policy: HeldFilePolicy,
): Promise<{ site: Site; summary: Awaited<ReturnType<typeof ingestPath>> }> {
  const dir = join(mkdtempSync(join(tmp, 'site-')), 'site');
  initSite(dir, { name: 'Clean Test Site', deidOptions: [], consentPolicy: 'opt-out' });
  const site = openSite(dir);
  writeSiteConfig(site.paths.config, { ...readSiteConfig(site.paths), heldFilePolicy: policy });
  const inbox = join(dir, '..', 'inbox');
  mkdirSync(inbox);
  copyFileSync(radiograph, join(inbox, 'radiograph.dcm'));
  const summary = await ingestPath(site, inbox, { actor: 'test' });
  return { site, summary };
}

const researchFiles = (site: Site) =>
  readdirSync(site.paths.research, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'));

describe('clean and release', () => {
  it('blanks the text, reads the picture again, de-identifies and stores it, and closes the entry', async () => {
    const { site, summary } = await siteWith('hold');
    expect(summary).toMatchObject({ held: 1, deidentified: 0 });
    const [held] = listHeldFiles(site);
    const result = await cleanAndRelease(site, held?.id ?? 0, { actor: 'ann' });
    expect(result).toEqual({ outcome: 'released', id: held?.id, how: 'cleaned' });
    expect(listHeldFiles(site)).toEqual([]);
    const [stored] = researchFiles(site);
    expect(stored).toContain('113101'); // Clean Pixel Data Option, recorded by the cleaner and kept
    for (const value of secrets) expect(stored).not.toContain(value);
    const entry = new AuditLog(site.database).list({ type: 'held.released' })[0];
    expect(entry).toMatchObject({ actor: 'ann', detail: { how: 'cleaned', policy: 'identifying' } });
    expect(entry?.detail.boxes).toBeGreaterThan(0);
    expect(JSON.stringify(entry)).not.toContain(secrets[0]);
    site.database.close();
  }, 120_000);
});

describe('the held-file policy at ingest', () => {
  it('"clean automatically" releases what reads clean in the same ingest', async () => {
    const { site, summary } = await siteWith('clean-automatically');
    expect(summary).toMatchObject({ held: 0, deidentified: 1 });
    expect(listHeldFiles(site)).toEqual([]);
    expect(researchFiles(site)).toHaveLength(1);
    site.database.close();
  }, 120_000);

  it('"clean automatically" applies to the watched folder and the receiver too (a run fed file by file)', async () => {
    const { site } = await siteWith('hold');
    // The first ingest (under "hold") held it; switch the rule, then feed another copy file by file.
    writeSiteConfig(site.paths.config, {
      ...readSiteConfig(site.paths),
      heldFilePolicy: 'clean-automatically',
    });
    const copy = join(tmp, 'watched-copy.dcm');
    const bytes = readFileSync(radiograph);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1; // another input (SHA-256), same text
    writeFileSync(copy, bytes);
    const run = IngestRun.start(site, { source: 'watched-folder', actor: 'watcher' });
    expect((await run.ingestFile(copy)).status).toBe('held');
    const summary = await run.finish();
    expect(summary).toMatchObject({ held: 0, deidentified: 1 });
    expect(listHeldFiles(site)).toHaveLength(1); // the first one, held under "hold", still waits
    site.database.close();
  }, 120_000);

  it('"clean and still ask" cleans the copy in quarantine and waits for a person, who then releases it', async () => {
    const { site, summary } = await siteWith('clean-and-ask');
    expect(summary).toMatchObject({ held: 1, deidentified: 0 });
    const [held] = listHeldFiles(site);
    expect(held?.plainReason).toMatch(/covered the text it found in the picture/);
    const quarantined = readdirSync(site.paths.quarantine).filter((n) => n.endsWith('.dcm'));
    const copy = parseDicom(readFileSync(join(site.paths.quarantine, quarantined[0] ?? ''))).dataset;
    expect(getString(copy, Tags.BurnedInAnnotation)?.trim()).toBe('NO');
    const result = await releaseAsIs(site, held?.id ?? 0, 'Ann Radiographer', { actor: 'ann' });
    expect(result.outcome).toBe('released');
    expect(researchFiles(site)).toHaveLength(1);
    site.database.close();
  }, 120_000);
});
