import { describe, expect, it } from 'vitest';
import type { DicomDataset, DicomElement, Tag } from '../dicom/index.ts';
import { readString } from '../dicom/index.ts';
import { deidentifyDataset, patientPseudonym, remapUid, type DeidOption } from './index.ts';
import { at, ctDataset, el, fileOf, nest3, NEST_PATH, SECRET, seq, text } from './test-fixtures.ts';

const run = (extra: DicomElement[], options: DeidOption[] = []): DicomDataset =>
  deidentifyDataset(fileOf(ctDataset(extra)), { secret: SECRET, options }).file.dataset;

const REF_UID = '1.2.826.0.1.3680043.2.1125.9.77';
const PSEUDONYM = patientPseudonym(SECRET, 'MRN4471922');

interface Case {
  code: string;
  tag: Tag;
  input: () => DicomElement;
  options?: DeidOption[];
  check: (out: DicomElement | undefined) => void;
}

/** One representative attribute per Table E.1-1 action code (and per sequence variant of a compound). */
const CASES: Case[] = [
  {
    code: 'D (Clinical Trial Sponsor Name)',
    tag: 0x00120010,
    input: () => el(0x00120010, 'LO', 'ACME TRIALS SMITHERSON'),
    check: (o) => expect(text(o)).toBe('ANONYMOUS'),
  },
  {
    code: 'D on a sequence (Content Sequence: items and Value Type kept, text dummied, UIDs remapped)',
    tag: 0x0040a730,
    input: () =>
      seq(0x0040a730, [
        el(0x0040a040, 'CS', 'TEXT'),
        el(0x0040a160, 'UT', 'seen by Dr Who'),
        el(0x0040a124, 'UI', REF_UID),
      ]),
    check: (o) => {
      const item = o?.items?.[0];
      expect(text(item?.get(0x0040a160))).toBe('ANONYMOUS');
      expect(text(item?.get(0x0040a040))).toBe('TEXT');
      expect(text(item?.get(0x0040a124))).toBe(remapUid(SECRET, REF_UID));
    },
  },
  {
    code: 'Z (Accession Number)',
    tag: 0x00080050,
    input: () => el(0x00080050, 'SH', 'ACC99812'),
    check: (o) => {
      expect(o).toBeDefined();
      expect(o?.value?.length).toBe(0);
    },
  },
  {
    code: 'Z on a sequence (Specimen Preparation Sequence: emptied)',
    tag: 0x00400610,
    input: () => seq(0x00400610, [el(0x00400512, 'LO', 'C-123')]),
    check: (o) => expect(o?.items).toEqual([]),
  },
  {
    code: 'X (Patient Address)',
    tag: 0x00101040,
    input: () => el(0x00101040, 'LO', '12 Larch Road, Bristol'),
    check: (o) => expect(o).toBeUndefined(),
  },
  {
    code: 'K (Patient Age, Retain Patient Characteristics)',
    tag: 0x00101010,
    options: ['retain-patient-characteristics'],
    input: () => el(0x00101010, 'AS', '047Y'),
    check: (o) => expect(text(o)).toBe('047Y'),
  },
  {
    code: 'K on a sequence (Referenced Study Sequence, Retain UIDs: kept, items processed)',
    tag: 0x00081110,
    options: ['retain-uids'],
    input: () => seq(0x00081110, [el(0x00081155, 'UI', REF_UID), el(0x00080050, 'SH', 'ACC99812')]),
    check: (o) => {
      expect(text(o?.items?.[0]?.get(0x00081155))).toBe(REF_UID);
      expect(o?.items?.[0]?.get(0x00080050)?.value?.length).toBe(0);
    },
  },
  {
    code: 'C (Study Description, Clean Descriptors)',
    tag: 0x00081030,
    options: ['clean-descriptors'],
    input: () => el(0x00081030, 'LO', 'CT CHEST for Johanna Smitherson'),
    check: (o) => expect(text(o)).toBe('CT CHEST for *** ***'),
  },
  {
    code: 'U (Referenced SOP Instance UID)',
    tag: 0x00081155,
    input: () => el(0x00081155, 'UI', REF_UID),
    check: (o) => expect(text(o)).toBe(remapUid(SECRET, REF_UID)),
  },
  {
    code: 'Z/D (Patient ID: the pseudonym, a consistent dummy)',
    tag: 0x00100020,
    input: () => el(0x00100020, 'LO', 'MRN4471922'),
    check: (o) => expect(text(o)).toBe(PSEUDONYM),
  },
  {
    code: "Z/D (Content Creator's Name)",
    tag: 0x00700084,
    input: () => el(0x00700084, 'PN', 'WATSON^EMMA'),
    check: (o) => expect(text(o)).toBe('ANONYMOUS'),
  },
  {
    code: 'X/Z (Acquisition Date)',
    tag: 0x00080022,
    input: () => el(0x00080022, 'DA', '20230105'),
    check: (o) => {
      expect(o).toBeDefined();
      expect(o?.value?.length).toBe(0);
    },
  },
  {
    code: 'X/Z on a sequence (Acquisition Context Sequence, Type 2: emptied)',
    tag: 0x00400555,
    input: () => seq(0x00400555, [el(0x0040a040, 'CS', 'TEXT'), el(0x0040a160, 'UT', 'Dr Who')]),
    check: (o) => expect(o?.items).toEqual([]),
  },
  {
    code: 'X/D (Series Date)',
    tag: 0x00080021,
    input: () => el(0x00080021, 'DA', '20230105'),
    check: (o) => expect(text(o)).toBe('19000101'),
  },
  {
    code: 'X/D on a sequence (Operator Identification Sequence: removed)',
    tag: 0x00081072,
    input: () => seq(0x00081072, [seq(0x00401101, [el(0x00080100, 'SH', 'OP1')])]),
    check: (o) => expect(o).toBeUndefined(),
  },
  {
    code: 'X/Z/D (Institution Name)',
    tag: 0x00080080,
    input: () => el(0x00080080, 'LO', 'St Elsewhere Hospital'),
    check: (o) => expect(text(o)).toBe('ANONYMOUS'),
  },
  {
    code: 'X/Z/U* (Referenced Image Sequence: kept, UIDs inside remapped, class UID kept)',
    tag: 0x00081140,
    input: () =>
      seq(0x00081140, [el(0x00081150, 'UI', '1.2.840.10008.5.1.4.1.1.2'), el(0x00081155, 'UI', REF_UID)]),
    check: (o) => {
      expect(text(o?.items?.[0]?.get(0x00081150))).toBe('1.2.840.10008.5.1.4.1.1.2');
      expect(text(o?.items?.[0]?.get(0x00081155))).toBe(remapUid(SECRET, REF_UID));
    },
  },
];

describe('Table E.1-1 action codes', () => {
  for (const c of CASES) {
    it(`${c.code} at the top level`, () => {
      c.check(run([c.input()], c.options).get(c.tag));
    });
    it(`${c.code} nested three sequences deep`, () => {
      c.check(at(run([nest3(c.input())], c.options), NEST_PATH, c.tag));
    });
  }

  it('counts each action applied', () => {
    const { actions } = deidentifyDataset(
      fileOf(ctDataset([el(0x00101040, 'LO', 'x'), el(0x00080050, 'SH', 'A1')])),
      { secret: SECRET, options: [] },
    );
    expect(actions.X).toBe(1); // Patient Address
    expect(actions.Z).toBe(2); // Accession Number, Patient Name
    expect(actions.U).toBe(3); // SOP Instance, Study and Series Instance UIDs
    expect(actions.D).toBe(1); // Patient ID
  });
});

describe('compound codes on a sequence follow its Type in the module at the top level', () => {
  const SR_DOCUMENT = '1.2.840.10008.5.1.4.1.1.88.33';
  const withClass = (sopClass: string, extra: DicomElement[]) =>
    deidentifyDataset(fileOf(ctDataset([el(0x00080016, 'UI', sopClass), ...extra])), {
      secret: SECRET,
      options: [],
    }).file.dataset;
  const study = () => seq(0x00081110, [el(0x00081155, 'UI', REF_UID)]);
  const step = () => seq(0x00081111, [el(0x00081155, 'UI', REF_UID)]);

  // An empty sequence where the module says Type 3 ("one or more Items") is invalid:
  // dciodvfy "Bad Sequence number of Items 0 (1-n Required by Module definition)".
  it('removes Referenced Study Sequence (X/Z), Type 3 in General Study, and empties it inside items', () => {
    expect(withClass(SR_DOCUMENT, [study()]).has(0x00081110)).toBe(false);
    expect(run([study()]).has(0x00081110)).toBe(false);
    expect(at(run([nest3(study())]), NEST_PATH, 0x00081110)?.items).toEqual([]);
  });

  it('removes Institution Code Sequence (X/Z/D) at the top level, and empties it inside items', () => {
    const institution = () => seq(0x00080082, [el(0x00080100, 'SH', 'STE01')]);
    expect(run([institution()]).has(0x00080082)).toBe(false);
    expect(at(run([nest3(institution())]), NEST_PATH, 0x00080082)?.items).toEqual([]);
  });

  it('empties Referenced Performed Procedure Step Sequence (X/Z/D) in an SR (Type 2), removes it from a CT (Type 3)', () => {
    expect(withClass(SR_DOCUMENT, [step()]).get(0x00081111)?.items).toEqual([]);
    expect(run([step()]).has(0x00081111)).toBe(false);
  });
});

describe('X on an attribute its module requires at the top level', () => {
  it('gives a presentation state a dummy Presentation Creation Date and Time (Type 1), removes them elsewhere', () => {
    const creation = [el(0x00700082, 'DA', '20230106'), el(0x00700083, 'TM', '093000')];
    const ps = deidentifyDataset(
      fileOf(ctDataset([el(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.11.1'), ...creation])),
      { secret: SECRET, options: [] },
    ).file.dataset;
    expect([text(ps.get(0x00700082)), text(ps.get(0x00700083))]).toEqual(['19000101', '000000']);
    const ct = run(creation);
    expect([ct.has(0x00700082), ct.has(0x00700083)]).toEqual([false, false]);
    expect(at(run([nest3(creation[0] as DicomElement)]), NEST_PATH, 0x00700082)).toBeUndefined();
  });
});

describe('pattern rows', () => {
  it('removes curves (50xx,xxxx) and overlay comments (60xx,4000) at any depth', () => {
    const curve = el(0x50000022, 'LO', 'curve of SMITHERSON');
    const comment = el(0x60024000, 'LT', 'overlay about SMITHERSON');
    const out = run([curve, comment, nest3(el(0x50020022, 'LO', 'nested curve'))]);
    expect(out.has(0x50000022)).toBe(false);
    expect(out.has(0x60024000)).toBe(false);
    expect(at(out, NEST_PATH, 0x50020022)).toBeUndefined();
  });

  it('removes an overlay bitmap (60xx,3000) with the rest of its overlay group', () => {
    const out = run([
      el(0x60000010, 'US', '\u0010\u0000'),
      { tag: 0x60003000, vr: 'OW', value: new Uint8Array(32) },
    ]);
    expect(out.has(0x60003000)).toBe(false);
    expect(out.has(0x60000010)).toBe(false);
  });

  it('removes private attributes, their creators and private sequences', () => {
    const out = run([
      el(0x00090010, 'LO', 'ACME 1'),
      el(0x00091001, 'LO', 'x'),
      seq(0x00091002, [el(0x00100010, 'PN', 'A^B')]),
    ]);
    expect([...out.keys()].filter((t) => (t >>> 16) % 2 === 1)).toEqual([]);
  });

  it('keeps pixel data as the same element object (never copied or re-encoded)', () => {
    const input = ctDataset();
    const out = deidentifyDataset(fileOf(input), { secret: SECRET, options: [] }).file.dataset;
    expect(out.get(0x7fe00010)).toBe(input.get(0x7fe00010));
  });

  it('does not change the input data set', () => {
    const input = ctDataset([el(0x00081030, 'LO', 'HEAD')]);
    const before = [...input.entries()].map(([t, e]) => [t, e.value ? readString(e) : e.items?.length]);
    deidentifyDataset(fileOf(input), { secret: SECRET, options: [] });
    expect([...input.entries()].map(([t, e]) => [t, e.value ? readString(e) : e.items?.length])).toEqual(
      before,
    );
  });
});
