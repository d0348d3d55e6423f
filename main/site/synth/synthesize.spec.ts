import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  getString,
  parseDicom,
  readNumbers,
  RLE_LOSSLESS,
  Tags,
  type DicomFile,
} from '../dicom/index.ts';
import { CT_LUNG_CORE } from './chest-ct-phantom.ts';
import { RADIOGRAPH_LUNG_CORE } from './chest-radiograph-phantom.ts';
import {
  SITE_TRANSFER_SYNTAXES,
  SYNTH_LABELS,
  synthesizeStudies,
  SynthError,
  type SynthResult,
} from './index.ts';
import { decodeRleFrame } from './rle-lossless.ts';

const here = dirname(fileURLToPath(import.meta.url));
const OPTIONS = { sites: 4, patients: 6, seed: 11, ctSlices: 4, ctMatrix: 96, radiographSize: 128 };

interface PydicomView {
  path: string;
  ok: boolean;
  error?: string;
  transferSyntax: string;
  sopClass: string;
  modality: string;
  accession: string;
  burnedIn: string | null;
  shape: number[];
  pixelSha256: string;
  coreMean?: number;
}

let tmp: string;
let a: SynthResult;
let b: SynthResult;
let c: SynthResult;
const progress: [number, number][] = [];
const parsed = new Map<string, DicomFile>();
const pydicom = new Map<string, PydicomView>();

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const hashes = (r: SynthResult, root: string): Map<string, string> =>
  new Map(r.files.map((f) => [relative(root, f.path), sha256(readFileSync(f.path))]));

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'radfed-synth-'));
  a = await synthesizeStudies({
    ...OPTIONS,
    outDir: join(tmp, 'a'),
    onProgress: (done, total) => progress.push([done, total]),
  });
  b = await synthesizeStudies({ ...OPTIONS, outDir: join(tmp, 'b') });
  c = await synthesizeStudies({ ...OPTIONS, seed: 12, outDir: join(tmp, 'c') });
  for (const f of a.files) parsed.set(f.path, parseDicom(readFileSync(f.path)));
  // One pydicom process for the whole run.
  const request = {
    files: a.files.map((f) => f.path),
    ctCore: CT_LUNG_CORE,
    radiographCore: RADIOGRAPH_LUNG_CORE,
  };
  const py = spawnSync('/usr/bin/python3', [join(here, 'verify-with-pydicom.py')], {
    input: JSON.stringify(request),
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (py.status !== 0) throw new Error(`pydicom check failed: ${py.stderr}`);
  for (const v of JSON.parse(py.stdout) as PydicomView[]) pydicom.set(v.path, v);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The stored pixel values as little-endian bytes, decoded from our own file by our own means. */
function storedPixelsLittleEndian(file: DicomFile): Uint8Array {
  const el = file.dataset.get(Tags.PixelData)!;
  const ts = file.transferSyntax;
  const [rows, cols] = [Tags.Rows, Tags.Columns].map((t) => readNumbers(file.dataset.get(t)!, ts)[0]!);
  const bytesPerSample = readNumbers(file.dataset.get(Tags.BitsAllocated)!, ts)[0]! / 8;
  if (ts.uid === RLE_LOSSLESS) {
    const items = new DataView(el.encapsulated!.buffer, el.encapsulated!.byteOffset);
    const fragmentAt = 8 + items.getUint32(4, true) + 8;
    const length = items.getUint32(fragmentAt - 4, true);
    const frame = el.encapsulated!.subarray(fragmentAt, fragmentAt + length);
    return decodeRleFrame(frame, rows! * cols!, bytesPerSample);
  }
  const copy = Buffer.from(el.value!);
  if (!ts.littleEndian && bytesPerSample === 2) copy.swap16();
  return copy;
}

describe('synthesizeStudies', () => {
  it('writes identical bytes for identical options, and different files for another seed', () => {
    const ha = hashes(a, join(tmp, 'a'));
    const hb = hashes(b, join(tmp, 'b'));
    expect(ha.size).toBeGreaterThan(50);
    expect(hb).toEqual(ha);
    const hc = hashes(c, join(tmp, 'c'));
    const common = [...ha.keys()].filter((k) => hc.has(k));
    expect(common.length).toBeGreaterThan(10);
    for (const k of common) expect(hc.get(k)).not.toBe(ha.get(k));
    expect(readFileSync(a.labels['site-01']!, 'utf8')).toBe(readFileSync(b.labels['site-01']!, 'utf8'));
  });

  it('lays files out by neutral names, with no planted value in any path', () => {
    for (const f of a.files) {
      const rel = relative(join(tmp, 'a'), f.path);
      expect(rel).toMatch(/^site-0[1-4]\/study-\d{4}\/series-\d{2}\/img-\d{4}\.dcm$/);
      expect(rel.startsWith(f.site)).toBe(true);
      for (const value of f.planted) expect(rel).not.toContain(value);
    }
  });

  it('writes each site in its own transfer syntax, and the codec parses every file', () => {
    const bySite = new Map<string, Set<string>>();
    for (const f of a.files) {
      const file = parsed.get(f.path)!;
      const set = bySite.get(f.site) ?? new Set();
      set.add(file.transferSyntax.uid);
      bySite.set(f.site, set);
      expect(getString(file.dataset, Tags.SOPInstanceUID)).toBe(
        getString(file.meta, Tags.MediaStorageSOPInstanceUID),
      );
    }
    expect([...bySite.entries()].map(([site, set]) => [site, [...set]])).toEqual(
      SITE_TRANSFER_SYNTAXES.map((ts, i) => [`site-0${i + 1}`, [ts]]),
    );
    expect(SITE_TRANSFER_SYNTAXES).toContain(EXPLICIT_VR_BIG_ENDIAN);
  });

  it('writes files pydicom reads and decodes to exactly the pixels that were encoded (RLE included)', () => {
    for (const f of a.files) {
      const view = pydicom.get(f.path)!;
      expect(view.error ?? 'ok', f.path).toBe('ok');
      expect(view.pixelSha256, f.path).toBe(sha256(storedPixelsLittleEndian(parsed.get(f.path)!)));
    }
    const rle = a.files.filter((f) => pydicom.get(f.path)!.transferSyntax === RLE_LOSSLESS);
    expect(rle.length).toBeGreaterThan(5);
    const ct = a.files.map((f) => pydicom.get(f.path)!).filter((v) => v.modality === 'CT');
    for (const v of ct) {
      expect(v.shape).toEqual([OPTIONS.ctMatrix, OPTIONS.ctMatrix]);
      // Lungs read as lungs in every syntax: a byte-order or segment-order slip would not.
      expect(v.coreMean, v.path).toBeGreaterThan(-950);
      expect(v.coreMean, v.path).toBeLessThan(-600);
    }
  });

  it('writes files dcmdump reads, one per site', () => {
    for (const site of ['site-01', 'site-02', 'site-03', 'site-04']) {
      const file = a.files.find((f) => f.site === site)!;
      const dump = spawnSync('dcmdump', ['-q', file.path], { encoding: 'utf8' });
      expect(dump.status, `${site}: ${dump.stderr}`).toBe(0);
      expect(dump.stdout).toContain('(7fe0,0010)');
    }
  });

  it('labels every study once, by an accession number that is in its files, with 20-80% positives', () => {
    const accessions = new Set([...parsed.values()].map((f) => getString(f.dataset, Tags.AccessionNumber)));
    let rows = 0;
    let positives = 0;
    for (const [site, path] of Object.entries(a.labels)) {
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      expect(lines[0]).toBe('accession_number,label');
      const body = lines.slice(1).map((l) => l.split(','));
      expect(body.length).toBe(a.studies.filter((s) => s.site === site).length);
      for (const [accession, label] of body) {
        expect(accessions.has(accession)).toBe(true);
        expect([SYNTH_LABELS.positive, SYNTH_LABELS.negative]).toContain(label);
        positives += label === SYNTH_LABELS.positive ? 1 : 0;
      }
      rows += body.length;
    }
    expect(new Set(a.studies.map((s) => s.accessionNumber)).size).toBe(rows);
    expect(positives / rows).toBeGreaterThan(0.2);
    expect(positives / rows).toBeLessThan(0.8);
  });

  it('writes a consent export with one row per patient, keyed by the Patient ID in the files', () => {
    for (const [site, path] of Object.entries(a.consent)) {
      const ids = new Set(
        a.files
          .filter((f) => f.site === site)
          .map((f) => getString(parsed.get(f.path)!.dataset, Tags.PatientID)),
      );
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      expect(lines[0]).toBe('patient_id,status,date');
      expect(lines.length - 1).toBe(OPTIONS.patients);
      for (const [id, status, date] of lines.slice(1).map((l) => l.split(','))) {
        expect(ids.has(id)).toBe(true);
        expect(['granted', 'refused']).toContain(status);
        expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
  });

  it('puts every planted value into its file, in the places PHI hides', () => {
    for (const f of a.files) {
      const text = readFileSync(f.path).toString('latin1');
      for (const value of f.planted) expect(text.includes(value), `${value} in ${f.path}`).toBe(true);
    }
    const attributes = new Set(a.files[0]!.plantedFields.map((p) => p.attribute));
    for (const attribute of [
      'PatientName',
      'OtherPatientIDsSequence/PatientID',
      'PatientAddress',
      'PatientTelephoneNumbers',
      'PatientComments',
      'ReferringPhysicianName',
      'InstitutionName',
      'StationName',
      'DeviceSerialNumber',
      'RequestAttributesSequence/AccessionNumber',
      'RequestAttributesSequence/RequestedProcedureID',
      'ReferencedStudySequence/ReferencedSOPInstanceUID',
      'ReferencedPatientSequence/ReferencedSOPInstanceUID',
      'Private(0009,xx01 ACME PHI 1.0)',
      'Private(0009,xx10 ACME PHI 1.0)/PatientID',
      'OverlayComments',
      'AcquisitionDateTime',
      'SOPInstanceUID',
    ]) {
      expect(attributes).toContain(attribute);
    }
    // Free text mentions the patient by name and MRN.
    const study = a.files[0]!.plantedFields.find(
      (p) => p.attribute === 'StudyDescription' && p.kind === 'free-text',
    )!;
    expect(study.value).toContain(a.files[0]!.plantedFields.find((p) => p.attribute === 'PatientID')!.value);
  });

  it("keeps each patient's identifying values out of every other patient's files", () => {
    const owners = new Map<string, Set<string>>();
    for (const f of a.files) {
      for (const p of f.plantedFields) {
        if (p.kind === 'institution' || p.kind === 'device' || p.kind === 'category') continue;
        const set = owners.get(p.value) ?? new Set();
        set.add(`${f.site}/${f.patientIndex}`);
        owners.set(p.value, set);
      }
    }
    const shared = [...owners.entries()].filter(([, set]) => set.size > 1).map(([value]) => value);
    expect(shared).toEqual([]);
  });

  it('keeps a safe private attribute (PS3.15 Table E.3.10-1) beside an identifying one in its block', () => {
    const table = JSON.parse(
      readFileSync(join(here, '../deid/data/table_E.3.10-1.safe_private.2026a.json'), 'utf8'),
    ) as { privateCreator: string; group: string; elementInBlock: string }[];
    for (const f of a.files.filter((_, i) => i % 7 === 0)) {
      const ds = parsed.get(f.path)!.dataset;
      const creators = [...ds.entries()].filter(([t]) => (t & 0xffff) === 0x0011 && (t >>> 16) % 2 === 1);
      expect(creators.length).toBe(1);
      const [creatorTag] = creators[0]!;
      const group = creatorTag >>> 16;
      const creator = getString(ds, creatorTag)!;
      const safe = [...ds.keys()].filter((t) => t >>> 16 === group && (t & 0xff00) === 0x1100);
      const inTable = safe.filter((t) =>
        table.some(
          (r) =>
            r.privateCreator === creator &&
            parseInt(r.group, 16) === group &&
            parseInt(r.elementInBlock, 16) === (t & 0xff),
        ),
      );
      expect(inTable.length).toBe(1);
      expect(safe.length).toBe(2);
    }
  });

  it('flags radiographs Burned In Annotation YES or NO, and writes secondary captures without it', () => {
    const views = a.files.map((f) => pydicom.get(f.path)!);
    for (const v of views) {
      if (v.modality === 'DX' || v.modality === 'CR') expect(['YES', 'NO']).toContain(v.burnedIn);
      if (v.sopClass === '1.2.840.10008.5.1.4.1.1.7') expect(v.burnedIn).toBeNull();
    }
    expect(views.some((v) => v.sopClass === '1.2.840.10008.5.1.4.1.1.7')).toBe(true);
  });

  it('carries a learnable finding: lungs of nodule studies are brighter on average', () => {
    for (const modality of ['CT', 'RADIOGRAPH'] as const) {
      const means = { 0: [] as number[], 1: [] as number[] };
      for (const study of a.studies.filter((s) => s.kind === modality)) {
        const values = a.files
          .filter((f) => f.path.startsWith(join(study.dir, 'series-01')))
          .map((f) => pydicom.get(f.path)!.coreMean!);
        means[study.label].push(values.reduce((s, v) => s + v, 0) / values.length);
      }
      const avg = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
      expect(means[0].length, modality).toBeGreaterThan(2);
      expect(means[1].length, modality).toBeGreaterThan(2);
      // CT in HU; radiographs in window widths: both well clear of the noise.
      expect(avg(means[1]) - avg(means[0]), modality).toBeGreaterThan(modality === 'CT' ? 5 : 0.005);
    }
  });

  it('reports progress up to the number of files written', () => {
    expect(progress.length).toBe(a.files.length);
    expect(progress.at(-1)).toEqual([a.files.length, a.files.length]);
    expect(a.totals.files).toBe(a.files.length);
  });

  it('refuses bad options and a folder that already holds files, with a reason', async () => {
    const base = { ...OPTIONS, outDir: join(tmp, 'bad') };
    await expect(synthesizeStudies({ ...base, sites: 0 })).rejects.toMatchObject({ code: 'invalid-option' });
    await expect(synthesizeStudies({ ...base, ctMatrix: 5 })).rejects.toBeInstanceOf(SynthError);
    mkdirSync(join(tmp, 'full'));
    writeFileSync(join(tmp, 'full', 'x'), '');
    await expect(synthesizeStudies({ ...base, outDir: join(tmp, 'full') })).rejects.toMatchObject({
      code: 'out-not-empty',
    });
  });
});
