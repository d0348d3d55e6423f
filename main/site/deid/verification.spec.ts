import { describe, expect, it } from 'vitest';
import { Tags, writeDicom } from '../dicom/index.ts';
import type { DicomElement } from '../dicom/index.ts';
import { deidentifyDataset, deidentifyInstance, type DeidOption, type InstanceOutcome } from './index.ts';
import { verifyOutput } from './verification.ts';
import { bytesOf, ctDataset, el, fileOf, nest3, SECRET, seq } from './test-fixtures.ts';

/** Everything identifying that the fixtures plant; none may ever appear in a reason. */
const PLANTED = [
  'SMITHERSON',
  'JOHANNA',
  'MRN4471922',
  'ACC99812',
  '20230105',
  '1.2.826.0.1.3680043.2.1125.1.2001',
];

const outcome = (extra: DicomElement[], options: DeidOption[] = []): InstanceOutcome => {
  const o = deidentifyInstance(bytesOf(ctDataset([el(Tags.AccessionNumber, 'SH', 'ACC99812'), ...extra])), {
    secret: SECRET,
    options,
  });
  const report = JSON.stringify({ reason: o.reason, instance: o.instance, actions: o.actions }).toUpperCase();
  for (const value of PLANTED) expect(report).not.toContain(value);
  return o;
};

describe('verification before release', () => {
  it('holds a file whose unlisted standard attribute carries the patient name, naming attribute and kind', () => {
    const o = outcome([el(0x00081090, 'LO', 'Scanner of Smitherson')]);
    expect(o.status).toBe('held');
    expect(o.reason).toBe('not released: patient name component found in (0008,1090) ManufacturerModelName');
    expect(o.output).toBeNull();
  });

  it('holds a file whose made-up standard attribute, nested three deep, carries the patient ID', () => {
    const o = outcome([nest3(el(0x00449998, 'LO', 'ref MRN4471922'))]);
    expect(o.status).toBe('held');
    expect(o.reason).toMatch(/^not released: patient id found in \(0044,9998\) inside \(0008,1115\)/);
  });

  it('holds a file whose unlisted attribute carries the accession number or a removed date', () => {
    expect(outcome([el(0x00181020, 'LO', 'v ACC99812')]).reason).toMatch(
      /accession number found in \(0018,1020\)/,
    );
    expect(
      outcome([el(Tags.StudyDate, 'DA', '20230105'), el(0x00181020, 'LO', 'built 05/01/2023')]).reason,
    ).toMatch(/date found in \(0018,1020\)/);
  });

  it('does not hold for a short removed number that equals a count (Study ID 101, Instance Number 101)', () => {
    const o = outcome([
      el(Tags.StudyID, 'SH', '101'),
      el(Tags.InstanceNumber, 'IS', '101'),
      el(0x00181020, 'LO', 'V101'),
    ]);
    expect(o.status, o.reason ?? '').toBe('deidentified');
  });

  it('does not hold for a name component inside a longer word (ANN in SCANNER)', () => {
    const o = outcome([el(Tags.PatientName, 'PN', 'ANN^LEE'), el(0x00081090, 'LO', 'SCANNER SLEEPER')]);
    expect(o.status).toBe('deidentified');
  });

  it("does not hold for an SR's Value Type that spells a name component, and holds for one that is no Value Type", () => {
    const tree = (valueType: string) =>
      seq(0x0040a730, [el(0x0040a010, 'CS', 'CONTAINS'), el(0x0040a040, 'CS', valueType)]);
    const named = (valueType: string) => outcome([el(Tags.PatientName, 'PN', 'TEXT^ANNA'), tree(valueType)]);
    expect(named('TEXT').status, named('TEXT').reason ?? '').toBe('deidentified');
    expect(named('TEXT ANNA').reason).toBe(
      'not released: patient name component found in (0040,A040) ValueType inside (0040,A730) ContentSequence',
    );
  });

  it('releases free text cleaned under Clean Descriptors, with every removed value gone', () => {
    const o = outcome(
      [
        el(Tags.ImageComments, 'LT', 'Johanna Smitherson, MRN4471922, acc ACC99812, seen 2023-01-05'),
        el(Tags.StudyDate, 'DA', '20230105'),
      ],
      ['clean-descriptors'],
    );
    expect(o.status).toBe('deidentified');
    const out = Buffer.concat(o.output ?? [])
      .toString('latin1')
      .toUpperCase();
    for (const value of ['SMITHERSON', 'JOHANNA', 'MRN4471922', 'ACC99812', '2023-01-05'])
      expect(out).not.toContain(value);
    expect(out).toContain('*** ***, ***, ACC ***, SEEN ***');
  });

  it('finds a removed value outside any attribute value (raw bytes: the preamble)', () => {
    const r = deidentifyDataset(fileOf(ctDataset()), { secret: SECRET, options: [] });
    const chunks = writeDicom(r.file);
    expect(verifyOutput(chunks, r.file, r.matcher)).toBeNull();
    const head = Buffer.from(chunks[0] as Buffer);
    head.write('SMITHERSON', 10, 'latin1');
    expect(verifyOutput([head, ...chunks.slice(1)], r.file, r.matcher)).toBe(
      'not released: patient name component found in the output bytes outside any attribute value',
    );
  });

  it('scans values in sequences removed by the profile (names inside a removed sequence)', () => {
    const o = outcome([
      seq(0x00081062, [el(0x00401104, 'LO', 'x'), el(0x00400006, 'PN', 'KOWALSKI^PIOTR')]),
      el(0x00081090, 'LO', 'KOWALSKI'),
    ]);
    expect(o.reason).toBe('not released: person name component found in (0008,1090) ManufacturerModelName');
  });
});
