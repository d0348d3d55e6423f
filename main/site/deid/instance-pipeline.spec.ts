import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  parseDicom,
  readString,
  Tags,
} from '../dicom/index.ts';
import type { DicomFile } from '../dicom/index.ts';
import { accessionHash, deidentifyInstance, patientPseudonym, studyUidHash } from './index.ts';
import { bytesOf, ctDataset, el, reparse, SECRET } from './test-fixtures.ts';

const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const settings = { secret: SECRET, options: [] };
const tmp = mkdtempSync(join(tmpdir(), 'radfed-deid-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pixelBytes = (f: DicomFile): Buffer => {
  const px = f.dataset.get(Tags.PixelData);
  const v = px?.value ?? px?.encapsulated;
  return v ? Buffer.from(v) : Buffer.alloc(0);
};
/** pydicom's PixelData of encapsulated data: the items, without the closing sequence delimiter. */
const pydicomPixelBytes = (f: DicomFile): Buffer => {
  const px = f.dataset.get(Tags.PixelData);
  return px?.encapsulated
    ? Buffer.from(px.encapsulated.subarray(0, px.encapsulated.length - 8))
    : pixelBytes(f);
};
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Released files from pydicom's real test set and from our own builder, covering the transfer syntaxes. */
const SOURCES: [string, () => Buffer][] = [
  ['CT_small.dcm (explicit little endian)', () => readFileSync(join(PYDICOM_FILES, 'CT_small.dcm'))],
  [
    'MR_small_bigendian.dcm (explicit big endian)',
    () => readFileSync(join(PYDICOM_FILES, 'MR_small_bigendian.dcm')),
  ],
  [
    'MR_small_implicit.dcm (implicit little endian)',
    () => readFileSync(join(PYDICOM_FILES, 'MR_small_implicit.dcm')),
  ],
  ['693_J2KI.dcm (JPEG 2000, encapsulated)', () => readFileSync(join(PYDICOM_FILES, '693_J2KI.dcm'))],
  ['MR_small_RLE.dcm (RLE, encapsulated)', () => readFileSync(join(PYDICOM_FILES, 'MR_small_RLE.dcm'))],
  [
    'built, deflated',
    () => bytesOf(ctDataset([el(Tags.AccessionNumber, 'SH', 'ACC1')]), DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN),
  ],
  ['built, big endian', () => bytesOf(ctDataset(), EXPLICIT_VR_BIG_ENDIAN)],
  ['built, implicit', () => bytesOf(ctDataset(), IMPLICIT_VR_LITTLE_ENDIAN)],
];

describe('deidentifyInstance on real files', () => {
  const written: { path: string; pixelSha: string; pseudonym: string }[] = [];

  for (const [name, source] of SOURCES) {
    it(`${name}: released, re-readable, pixel data byte for byte`, () => {
      const input = source();
      const o = deidentifyInstance(input, settings);
      expect(o.status, o.reason ?? '').toBe('deidentified');
      const inFile = parseDicom(input);
      const out = reparse(o.output ?? []);
      expect(pixelBytes(out).equals(pixelBytes(inFile))).toBe(true);
      expect(pixelBytes(out).length).toBeGreaterThan(0);
      expect(out.transferSyntax.uid).toBe(inFile.transferSyntax.uid);
      expect(readString(out.dataset.get(Tags.PatientIdentityRemoved) ?? { tag: 0, vr: 'CS' })).toBe('YES');
      const path = join(tmp, `${written.length}.dcm`);
      writeFileSync(path, Buffer.concat(o.output ?? []));
      written.push({
        path,
        pixelSha: sha(pydicomPixelBytes(inFile)),
        pseudonym: o.instance?.patientPseudonym ?? '',
      });
    });
  }

  it('every output is read by pydicom and dcmdump (one batched run each)', () => {
    const script = [
      'import sys, json, hashlib, pydicom',
      'out = []',
      'for p in sys.argv[1:]:',
      '    ds = pydicom.dcmread(p)',
      '    out.append({"name": str(ds.PatientName), "id": ds.PatientID, "removed": ds.PatientIdentityRemoved,',
      '                "sop": ds.SOPInstanceUID, "meta_sop": ds.file_meta.MediaStorageSOPInstanceUID,',
      '                "pixels": hashlib.sha256(ds.PixelData).hexdigest()})',
      'print(json.dumps(out))',
    ].join('\n');
    const paths = written.map((w) => w.path);
    expect(paths.length).toBe(SOURCES.length);
    const result = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, ...paths], { encoding: 'utf8' }),
    ) as {
      name: string;
      id: string;
      removed: string;
      sop: string;
      meta_sop: string;
      pixels: string;
    }[];
    result.forEach((r, i) => {
      const w = written[i];
      expect(r.name).toBe(w?.pseudonym);
      expect(r.id).toBe(w?.pseudonym);
      expect(r.removed).toBe('YES');
      expect(r.sop).toMatch(/^2\.25\.\d+$/);
      expect(r.meta_sop).toBe(r.sop);
      expect(r.pixels, w?.path).toBe(w?.pixelSha);
    });
    execFileSync('/usr/bin/dcmdump', ['-q', '+E', ...paths], { encoding: 'utf8' });
  });

  it('reports the keyed accession and study hashes for label matching', () => {
    const input = ctDataset([el(Tags.AccessionNumber, 'SH', 'ACC1')]);
    const o = deidentifyInstance(bytesOf(input), settings);
    expect(o.instance?.accessionHash).toBe(accessionHash(SECRET, 'ACC1'));
    expect(o.instance?.studyUidHash).toBe(studyUidHash(SECRET, '1.2.826.0.1.3680043.2.1125.1.2001'));
    expect(o.instance?.patientPseudonym).toBe(patientPseudonym(SECRET, 'MRN4471922'));
    expect(deidentifyInstance(bytesOf(ctDataset()), settings).instance?.accessionHash).toBeNull();
  });
});

describe('bad input', () => {
  it('rejects bytes that are not DICOM, with a reason and without throwing', () => {
    const o = deidentifyInstance(Buffer.from('SMITHERSON is not a DICOM file at all, really not'), settings);
    expect(o.status).toBe('rejected');
    expect(o.reason).toMatch(/not a readable DICOM file/);
    expect(o.reason).not.toContain('SMITHERSON');
  });

  it('rejects a file without SOP Instance UID and a truncated file', () => {
    const ds = ctDataset();
    ds.delete(Tags.SOPInstanceUID);
    expect(deidentifyInstance(bytesOf(ds), settings).reason).toMatch(/SOP Instance UID/);
    const whole = bytesOf(ctDataset());
    expect(deidentifyInstance(whole.subarray(0, whole.length - 100), settings).status).toBe('rejected');
  });

  it('gives every file of the pydicom test set an outcome with a reason, and never throws', () => {
    for (const f of readdirSync(PYDICOM_FILES).filter((n) => n.endsWith('.dcm'))) {
      const o = deidentifyInstance(readFileSync(join(PYDICOM_FILES, f)), settings);
      expect(['deidentified', 'held', 'rejected']).toContain(o.status);
      expect(o.status === 'deidentified' ? o.reason === null : (o.reason ?? '').length > 0, f).toBe(true);
    }
  });
});
