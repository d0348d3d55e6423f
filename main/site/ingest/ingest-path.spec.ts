// Ingest against real files: pydicom's test set (made into a small study folder by pydicom itself),
// a real site folder and SQLite database in a temp dir, and the real de-identification engine.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { initSite, openSite, type Site } from '../store/index.ts';
import { ingestPath, IngestError, type IngestFileOutcome } from './index.ts';

const PYTHON = '/usr/bin/python3';
const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

// Writes the inputs with pydicom and prints, as JSON, every identifying value they hold. File and
// folder names carry the patient's name on purpose: they must not leak either.
const MAKE_INPUTS = `
import json, os, sys, pydicom
src, out = sys.argv[1], sys.argv[2]
def save(ds, path, implicit=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if implicit:
        ds.is_implicit_VR = True
        ds.is_little_endian = True
        ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2'
    ds.save_as(path, write_like_original=False)
ct = pydicom.dcmread(os.path.join(src, 'CT_small.dcm')); ct.AccessionNumber = 'ACC778812'
save(ct, os.path.join(out, 'CompressedSamples^CT1 1CT1', 'CompressedSamples^CT1.dcm'))
ct = pydicom.dcmread(os.path.join(src, 'CT_small.dcm')); ct.AccessionNumber = 'ACC778812'
save(ct, os.path.join(out, 'CompressedSamples^CT1 1CT1', 'same instance implicit VR.dcm'), implicit=True)
mr = pydicom.dcmread(os.path.join(src, 'MR_small.dcm')); mr.AccessionNumber = 'ACC990031'
save(mr, os.path.join(out, 'mr', '4MR1', 'ACC990031.dcm'))
held = pydicom.dcmread(os.path.join(src, 'MR_small.dcm'))
held.PatientName = 'Heldback^Harriet'; held.PatientID = 'HELD5521'; held.AccessionNumber = 'ACCHELD31'
held.SOPInstanceUID = held.SOPInstanceUID + '.9'; held.BurnedInAnnotation = 'YES'
save(held, os.path.join(out, 'mr', 'Heldback^Harriet.dcm'))
with open(os.path.join(out, 'notes about Heldback.txt'), 'w') as f:
    f.write('Not a DICOM file: a note left in the export folder.\\n')
values = []
for root, _, names in os.walk(out):
    for name in names:
        if not name.endswith('.dcm'): continue
        ds = pydicom.dcmread(os.path.join(root, name))
        for kw in ['PatientName', 'PatientID', 'AccessionNumber', 'StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID']:
            v = str(ds.get(kw, '') or '')
            if v: values.append(v)
        # Name components too, where long enough not to match by chance ("CT1" is inside "STRICT1").
        values += [c for c in str(ds.PatientName).split('^') if len(c) >= 5]
print(json.dumps(sorted(set(values))))
`;

// Reads research files back with pydicom: proof that they are valid DICOM.
const READ_BACK = `
import json, sys, pydicom
out = []
for path in sys.argv[1:]:
    ds = pydicom.dcmread(path)
    out.append({'sop': ds.SOPInstanceUID, 'removed': ds.get('PatientIdentityRemoved'), 'name': str(ds.get('PatientName', ''))})
print(json.dumps(out))
`;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
  }
  return found.sort();
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(filesUnder(dir).map((f) => [relative(dir, f), sha256(readFileSync(f))]));
}

const rowCounts = (site: Site) =>
  Object.fromEntries(
    ['patients', 'studies', 'series', 'instances', 'instance_sources', 'held', 'rejected'].map((t) => [
      t,
      site.database.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get(),
    ]),
  );

let inputDir: string;
let identifiers: string[];

beforeAll(() => {
  inputDir = join(mkdtempSync(join(tmpdir(), 'radfed-ingest-in-')), 'export');
  mkdirSync(inputDir);
  identifiers = JSON.parse(
    execFileSync(PYTHON, ['-c', MAKE_INPUTS, TEST_FILES, inputDir], { encoding: 'utf8' }),
  );
  // A link loop in the export: the walk must not follow it forever.
  symlinkSync('..', join(inputDir, 'mr', 'loop'));
});

function newSite(): Site {
  const dir = join(mkdtempSync(join(tmpdir(), 'radfed-ingest-site-')), 'site');
  initSite(dir, { name: 'Ingest test site', deidOptions: [] });
  return openSite(dir);
}

describe('ingest', () => {
  let site: Site;
  let first: Awaited<ReturnType<typeof ingestPath>>;
  let progress: [number, number, IngestFileOutcome][];
  let sourceBefore: Record<string, string>;

  beforeAll(async () => {
    site = newSite();
    sourceBefore = snapshot(inputDir);
    progress = [];
    first = await ingestPath(site, inputDir, { onProgress: (d, t, o) => progress.push([d, t, o]) });
  });

  it('counts each outcome: two copies of one CT instance and an MR stored, one held, one rejected', () => {
    expect(first).toMatchObject({
      files: 5,
      deidentified: 3,
      held: 1,
      rejected: 1,
      alreadyIngested: 0,
      failed: 0,
    });
    expect(progress.map(([done, total]) => [done, total])).toEqual([1, 2, 3, 4, 5].map((d) => [d, 5]));
    const reasons = progress
      .map(([, , o]) => o)
      .filter((o) => o.status === 'held' || o.status === 'rejected');
    expect(reasons.every((o) => typeof o.reason === 'string' && o.reason.length > 0)).toBe(true);
  });

  it('indexes one instance per source instance (the second copy of the CT is an upsert)', () => {
    expect(rowCounts(site)).toEqual({
      patients: 2,
      studies: 2,
      series: 2,
      instances: 2,
      instance_sources: 3,
      held: 1,
      rejected: 1,
    });
  });

  it('stores research files under pseudonym/study/series/sop that pydicom reads as de-identified', () => {
    const files = filesUnder(site.paths.research);
    expect(files).toHaveLength(2);
    const rows = site.database
      .prepare<[], { path: string; sha256: string; size: number; sop_uid: string }>('SELECT * FROM instances')
      .all();
    for (const row of rows) {
      const file = join(site.paths.research, row.path);
      expect(row.path).toMatch(/^[^/]+\/2\.25\.\d+\/2\.25\.\d+\/2\.25\.\d+\.dcm$/);
      expect(row.path.endsWith(`/${row.sop_uid}.dcm`)).toBe(true);
      expect(sha256(readFileSync(file))).toBe(row.sha256);
      expect(statSync(file).size).toBe(row.size);
    }
    const read = JSON.parse(execFileSync(PYTHON, ['-c', READ_BACK, ...files], { encoding: 'utf8' }));
    for (const [i, entry] of read.entries()) {
      expect(files[i]?.endsWith(`/${entry.sop}.dcm`)).toBe(true);
      expect(entry.removed).toBe('YES');
    }
  });

  it('leaves only the held file in quarantine, under a random owner-only name, byte for byte', () => {
    const names = readdirSync(site.paths.quarantine);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^[0-9a-f-]{36}\.dcm$/);
    const held = site.database
      .prepare<[], { input_sha256: string; quarantine_name: string; reason: string }>('SELECT * FROM held')
      .get();
    expect(held?.quarantine_name).toBe(names[0]);
    expect(held?.reason).toMatch(/burn/i);
    const bytes = readFileSync(join(site.paths.quarantine, names[0]!));
    expect(sha256(bytes)).toBe(held?.input_sha256);
    expect(bytes.equals(readFileSync(join(inputDir, 'mr', 'Heldback^Harriet.dcm')))).toBe(true);
    expect(statSync(join(site.paths.quarantine, names[0]!)).mode & 0o777).toBe(0o600);
  });

  it('records the non-DICOM file as rejected with its hash and a reason', () => {
    const rejected = site.database
      .prepare<[], { input_sha256: string; reason: string }>('SELECT * FROM rejected')
      .get();
    expect(rejected?.input_sha256).toBe(sha256(readFileSync(join(inputDir, 'notes about Heldback.txt'))));
    expect(rejected?.reason.length).toBeGreaterThan(0);
  });

  it('never changes or removes the source files', () => {
    expect(snapshot(inputDir)).toEqual(sourceBefore);
  });

  it('writes one ingest.completed audit entry with the counts, and the chain verifies', () => {
    const audit = new AuditLog(site.database);
    const entries = audit.list({ type: 'ingest.completed' });
    expect(entries).toHaveLength(1);
    expect(entries[0]?.detail).toMatchObject({
      files: 5,
      deidentified: 3,
      held: 1,
      rejected: 1,
      alreadyIngested: 0,
    });
    expect(audit.verify()).toMatchObject({ ok: true });
  });

  it('is idempotent: a second run finds every file already ingested and adds no rows or files', async () => {
    const before = rowCounts(site);
    const research = snapshot(site.paths.research);
    const second = await ingestPath(site, inputDir);
    expect(second).toMatchObject({
      files: 5,
      deidentified: 0,
      held: 0,
      rejected: 0,
      alreadyIngested: 5,
      failed: 0,
    });
    expect(rowCounts(site)).toEqual(before);
    expect(snapshot(site.paths.research)).toEqual(research);
    expect(readdirSync(site.paths.quarantine)).toHaveLength(1);
    const runs = site.database
      .prepare("SELECT COUNT(*) FROM ingest_runs WHERE status = 'completed'")
      .pluck()
      .get();
    expect(runs).toBe(2);
  });

  it('keeps every patient identifier and input file name out of the database, file names and audit log', () => {
    expect(identifiers).toEqual(
      expect.arrayContaining([
        '1CT1',
        '4MR1',
        'HELD5521',
        'ACC778812',
        'ACC990031',
        'CompressedSamples',
        'Heldback',
      ]),
    );
    const csv = new AuditLog(site.database).exportCsv();
    site.database.close(); // checkpoints the WAL into site.db
    const dbBytes = Buffer.concat(
      ['site.db', 'site.db-wal']
        .map((f) => join(site.directory, f))
        .filter(existsSync)
        .map((f) => readFileSync(f)),
    );
    const names = [...filesUnder(site.paths.research), ...filesUnder(site.paths.quarantine)]
      .map((f) => relative(site.directory, f))
      .join('\n');
    for (const value of identifiers) {
      expect(dbBytes.includes(Buffer.from(value)), `database holds ${value}`).toBe(false);
      expect(names.includes(value), `a file name holds ${value}`).toBe(false);
      expect(csv.includes(value), `the audit log holds ${value}`).toBe(false);
    }
    expect(dbBytes.includes(Buffer.from('notes about'))).toBe(false);
    // Ingest must store the engine's output, not the quarantine copy: no long identifier in any file.
    for (const file of filesUnder(site.paths.research)) {
      const bytes = readFileSync(file);
      for (const value of identifiers.filter((v) => v.length >= 6)) {
        expect(bytes.includes(Buffer.from(value)), `${relative(site.directory, file)} holds ${value}`).toBe(
          false,
        );
      }
    }
  });
});

describe('ingest input', () => {
  it('says so when the input does not exist, without echoing its name', async () => {
    const site = newSite();
    const missing = join(tmpdir(), 'Doe^John 12345');
    await expect(ingestPath(site, missing)).rejects.toThrow(IngestError);
    await expect(ingestPath(site, missing)).rejects.not.toThrow(/Doe/);
    site.database.close();
  });

  it('refuses to ingest the site folder itself, and skips it inside a larger input', async () => {
    const site = newSite();
    await expect(ingestPath(site, site.directory)).rejects.toThrow(/inside the site folder/);
    const parent = join(site.directory, '..');
    writeFileSync(join(parent, 'single.dcm'), readFileSync(join(TEST_FILES, 'CT_small.dcm')));
    const summary = await ingestPath(site, parent);
    expect(summary).toMatchObject({ files: 1, deidentified: 1 });
    site.database.close();
  });

  it('stops on a failure of the site itself, deleting the identified copy and auditing the failure', async () => {
    const site = newSite();
    rmSync(site.paths.research, { recursive: true });
    writeFileSync(site.paths.research, 'a file where the research folder should be');
    await expect(ingestPath(site, join(TEST_FILES, 'CT_small.dcm'))).rejects.toThrow();
    expect(readdirSync(site.paths.quarantine)).toEqual([]);
    expect(site.database.prepare('SELECT status FROM ingest_runs').pluck().all()).toEqual(['failed']);
    const audit = new AuditLog(site.database);
    expect(audit.list({ type: 'ingest.failed' })).toHaveLength(1);
    expect(audit.verify()).toMatchObject({ ok: true });
    site.database.close();
  });

  it('ingests a single file given directly', async () => {
    const site = newSite();
    const summary = await ingestPath(site, join(TEST_FILES, 'MR_small.dcm'));
    expect(summary).toMatchObject({ files: 1, deidentified: 1, held: 0, rejected: 0 });
    expect(readdirSync(site.paths.quarantine)).toEqual([]);
    site.database.close();
  });
});
