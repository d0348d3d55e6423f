import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tags } from '../dicom/index.ts';
import type { DicomDataset } from '../dicom/index.ts';
import { dateOffsetDays, deidentifyDataset, deidentifyInstance, remapUid, type DeidOption } from './index.ts';
import { shiftDa } from './dates.ts';
import { COMPREHENSIVE_SR, ctDataset, el, fileOf, SECRET, seq, text } from './test-fixtures.ts';

const REFERENCED = '1.2.826.0.1.3680043.2.1125.3.55';

/** An SR content tree: a container with a TEXT, a PNAME, a DATE and a UIDREF item, one nested deeper. */
function srDataset(): DicomDataset {
  const code = (value: string, meaning: string) =>
    seq(0x0040a043, [
      el(0x00080100, 'SH', value),
      el(0x00080102, 'SH', 'SCT'),
      el(0x00080104, 'LO', meaning),
    ]);
  return ctDataset([
    el(Tags.SOPClassUID, 'UI', COMPREHENSIVE_SR),
    el(Tags.Modality, 'CS', 'SR'),
    el(Tags.StudyDate, 'DA', '20230105'),
    seq(
      0x0040a730,
      [
        el(0x0040a010, 'CS', 'CONTAINS'),
        el(0x0040a040, 'CS', 'TEXT'),
        code('404684003', 'Finding'),
        el(0x0040a160, 'UT', 'Johanna Smitherson: nodule 4 mm, call 0117 496 0123'),
      ],
      [
        el(0x0040a040, 'CS', 'PNAME'),
        code('121008', 'Person Observer Name'),
        el(0x0040a123, 'PN', 'WATSON^EMMA'),
      ],
      [el(0x0040a040, 'CS', 'DATE'), code('111060', 'Study Date'), el(0x0040a121, 'DA', '20230105')],
      [
        el(0x0040a040, 'CS', 'CONTAINER'),
        seq(0x0040a730, [
          el(0x0040a040, 'CS', 'UIDREF'),
          code('121232', 'Source series'),
          el(0x0040a124, 'UI', REFERENCED),
        ]),
      ],
    ),
  ]);
}

const contentOf = (options: DeidOption[]) => {
  const r = deidentifyDataset(fileOf(srDataset()), { secret: SECRET, options });
  return { items: r.file.dataset.get(0x0040a730)?.items ?? [], pseudonym: r.instance.patientPseudonym };
};

describe('Clean Structured Content', () => {
  it('keeps the tree and its codes, cleans text, replaces names, dummies dates, remaps UIDREFs', () => {
    const { items } = contentOf(['clean-structured-content']);
    expect(items.map((i) => text(i.get(0x0040a040)))).toEqual(['TEXT', 'PNAME', 'DATE', 'CONTAINER']);
    expect(text(items[0]?.get(0x0040a043)?.items?.[0]?.get(0x00080100))).toBe('404684003');
    expect(text(items[0]?.get(0x0040a160))).toBe('*** ***: nodule 4 mm, call ***');
    expect(text(items[1]?.get(0x0040a123))).toBe('ANONYMOUS');
    expect(text(items[2]?.get(0x0040a121))).toBe('19000101');
    expect(text(items[3]?.get(0x0040a730)?.items?.[0]?.get(0x0040a124))).toBe(remapUid(SECRET, REFERENCED));
  });

  it('shifts the dates in content items under Modified Dates', () => {
    const { items, pseudonym } = contentOf(['clean-structured-content', 'retain-long-modified-dates']);
    expect(text(items[2]?.get(0x0040a121))).toBe(shiftDa('20230105', dateOffsetDays(SECRET, pseudonym)));
  });

  it('without the option (D on Content Sequence), keeps the structure and codes and replaces what identifies', () => {
    const { items } = contentOf([]);
    // Relationship Type, Value Type and the codes make the document: "ANONYMOUS" there made every
    // SR invalid (dciodvfy: Unrecognized enumerated value <ANONYMOUS> for attribute <Value Type>).
    expect(items.map((i) => text(i.get(0x0040a040)))).toEqual(['TEXT', 'PNAME', 'DATE', 'CONTAINER']);
    expect(text(items[0]?.get(0x0040a010))).toBe('CONTAINS');
    const code = items[0]?.get(0x0040a043)?.items?.[0];
    // The code names the concept; its meaning is free text, a dummy like the rest (cleaned with the option).
    expect([0x00080100, 0x00080102, 0x00080104].map((t) => text(code?.get(t)))).toEqual([
      '404684003',
      'SCT',
      'ANONYMOUS',
    ]);
    expect(text(items[0]?.get(0x0040a160))).toBe('ANONYMOUS'); // Text Value: a dummy, not cleaned
    expect(text(items[1]?.get(0x0040a123))).toBe('ANONYMOUS'); // Person Name
    expect(text(items[2]?.get(0x0040a121))).toBe('19000101'); // Date
    expect(text(items[3]?.get(0x0040a730)?.items?.[0]?.get(0x0040a124))).toBe(remapUid(SECRET, REFERENCED));
  });

  it('keeps a code inside a D sequence, and replaces the code that identifies a person', () => {
    const r = deidentifyDataset(
      fileOf(
        ctDataset([
          seq(0x0040a730, [
            el(0x0040a040, 'CS', 'CODE'),
            seq(0x0040a168, [
              el(0x00080100, 'SH', 'L1'),
              el(0x00080102, 'SH', '99LOCAL'),
              el(0x00080104, 'LO', 'Seen by Smitherson'),
            ]),
          ]),
          seq(0x0040a073, [
            el(0x0040a075, 'PN', 'WATSON^EMMA'),
            seq(0x00401101, [
              el(0x00080100, 'SH', 'EMP4471'),
              el(0x00080102, 'SH', '99STAFF'),
              el(0x00080104, 'LO', 'Emma Watson'),
            ]),
          ]),
        ]),
      ),
      { secret: SECRET, options: [] },
    );
    const ds = r.file.dataset;
    const concept = ds.get(0x0040a730)?.items?.[0]?.get(0x0040a168)?.items?.[0];
    expect([text(concept?.get(0x00080100)), text(concept?.get(0x00080102))]).toEqual(['L1', '99LOCAL']);
    expect(text(concept?.get(0x00080104))).toBe('ANONYMOUS');
    const person = ds.get(0x0040a073)?.items?.[0]?.get(0x00401101)?.items?.[0];
    expect(text(person?.get(0x00080100))).toBe('ANONYMOUS');
    expect(text(person?.get(0x00080104))).toBe('ANONYMOUS');
  });

  it('keeps the graphics of a Graphic Annotation Sequence (D) and replaces its text', () => {
    const r = deidentifyDataset(
      fileOf(
        ctDataset([
          seq(0x00700060, [el(0x00700002, 'CS', 'LAYER1'), el(0x00700062, 'IS', '1')]),
          seq(0x00700001, [
            el(0x00700002, 'CS', 'LAYER1'),
            seq(0x00700008, [el(0x00700003, 'CS', 'PIXEL'), el(0x00700006, 'ST', 'Mrs Smitherson, left')]),
            seq(0x00700009, [el(0x00700005, 'CS', 'PIXEL'), el(0x00700023, 'CS', 'POLYLINE')]),
          ]),
        ]),
      ),
      { secret: SECRET, options: [] },
    );
    const annotation = r.file.dataset.get(0x00700001)?.items?.[0];
    // Graphic Layer must still name a layer of the Graphic Layer Sequence.
    expect(text(annotation?.get(0x00700002))).toBe('LAYER1');
    const textObject = annotation?.get(0x00700008)?.items?.[0];
    expect(text(textObject?.get(0x00700003))).toBe('PIXEL');
    expect(text(textObject?.get(0x00700006))).toBe('ANONYMOUS');
    expect(text(annotation?.get(0x00700009)?.items?.[0]?.get(0x00700023))).toBe('POLYLINE');
  });

  it("releases pydicom's real SR with the option, its verifying observers replaced and its text kept", () => {
    const bytes = readFileSync('/usr/lib/python3/dist-packages/pydicom/data/test_files/test-SR.dcm');
    const o = deidentifyInstance(bytes, { secret: SECRET, options: ['clean-structured-content'] });
    expect(o.status, o.reason ?? '').toBe('deidentified');
    const out = Buffer.concat(o.output ?? []).toString('latin1');
    expect(out).not.toMatch(/Observer\^Verifying|OFFIS e\.V\./); // Verifying Observer Name, Verifying Organization
    expect(out).toContain('A mass of'); // content text survives cleaning
  });
});
