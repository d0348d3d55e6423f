import { describe, expect, it } from 'vitest';
import type { DicomDataset } from '../dicom/index.ts';
import {
  DEID_OPTIONS,
  DeidSettingsError,
  deidentifyDataset,
  parseDeidOptions,
  type DeidOption,
} from './index.ts';
import { changedKeys, ctDataset, el, fileOf, flatten, SECRET, seq, text } from './test-fixtures.ts';

/** One attribute (at least) that each option is about, plus attributes no option touches. */
function richDataset(): DicomDataset {
  return ctDataset([
    el(0x00190010, 'LO', 'SIEMENS MR HEADER'),
    el(0x0019100c, 'IS', '1000'),
    el(0x00191001, 'LO', 'vendor note'),
    el(0x00200052, 'UI', '1.2.826.0.1.3680043.2.1125.1.4001'),
    seq(0x00081140, [
      el(0x00081150, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
      el(0x00081155, 'UI', '1.2.826.0.1.3680043.2.1125.1.1000'),
    ]),
    el(0x00181002, 'UI', '1.2.826.0.1.3680043.2.1125.1.5001'),
    el(0x00181000, 'LO', 'SN-4471'),
    el(0x00081010, 'SH', 'CTROOM01'),
    el(0x00080055, 'AE', 'CTAE01'),
    el(0x00080080, 'LO', 'St Elsewhere Hospital'),
    el(0x00080081, 'ST', '1 Hospital Way, Bristol'),
    el(0x00081040, 'LO', 'Radiology'),
    el(0x00100040, 'CS', 'F'),
    el(0x00101010, 'AS', '047Y'),
    el(0x00101030, 'DS', '70'),
    el(0x00102110, 'LO', 'penicillin, noted 2023-01-05'),
    el(0x00080020, 'DA', '20230105'),
    el(0x00080021, 'DA', '20230105'),
    el(0x0008002a, 'DT', '20230105101500'),
    el(0x00080030, 'TM', '101500'),
    el(0x00081030, 'LO', 'CT CHEST Smitherson'),
    el(0x0008103e, 'LO', 'AXIAL 5mm Johanna'),
    el(0x00204000, 'LT', 'call 0117 496 0123 re Smitherson'),
    el(0x00181030, 'LO', 'CHEST ROUTINE'),
    seq(0x0040a730, [
      el(0x0040a040, 'CS', 'TEXT'),
      el(0x0040a160, 'UT', 'Smitherson stable'),
      seq(0x0040a043, [
        el(0x00080100, 'SH', '121071'),
        el(0x00080102, 'SH', 'DCM'),
        el(0x00080104, 'LO', 'Finding'),
      ]),
    ]),
    seq(0x00700001, [
      el(0x00700002, 'CS', 'LAYER1'),
      seq(0x00700008, [el(0x00700006, 'ST', 'Smitherson L kidney')]),
    ]),
    el(0x50000022, 'LO', 'curve from 2023-01-05'),
    el(0x00180015, 'CS', 'CHEST'), // unlisted: no option touches it
  ]);
}

/** The attributes (prefixes of flattened keys) each option must change, and nothing else. */
const EXPECTED: Record<DeidOption, string[]> = {
  'retain-safe-private': ['(0019,0010)', '(0019,100C)'],
  'retain-uids': [
    '(0008,0018)',
    '(0020,000D)',
    '(0020,000E)',
    '(0020,0052)',
    '(0008,1140)[0](0008,1155)',
    '(0018,1002)',
  ],
  'retain-device-identity': ['(0018,1000)', '(0008,1010)', '(0008,0055)', '(0018,1002)'],
  'retain-institution-identity': ['(0008,0080)', '(0008,0081)', '(0008,1040)'],
  'retain-patient-characteristics': ['(0010,0040)', '(0010,1010)', '(0010,1030)', '(0010,2110)'],
  'retain-long-full-dates': ['(0008,0020)', '(0008,0021)', '(0008,002A)', '(0008,0030)', '(0028,0303)'],
  'retain-long-modified-dates': ['(0008,0020)', '(0008,0021)', '(0008,002A)', '(0008,0030)', '(0028,0303)'],
  'clean-descriptors': ['(0008,1030)', '(0008,103E)', '(0020,4000)', '(0018,1030)', '(0010,2110)'],
  'clean-structured-content': ['(0040,A730)'],
  'clean-graphics': ['(0070,0001)', '(5000,0022)'],
};

const METHOD_RECORD = ['(0012,0063)', '(0012,0064)'];

const outputOf = (options: DeidOption[]): Map<string, string> =>
  flatten(deidentifyDataset(fileOf(richDataset()), { secret: SECRET, options }).file.dataset);

describe('each option changes what it should, and only that', () => {
  const basic = outputOf([]);
  for (const option of DEID_OPTIONS) {
    it(option, () => {
      const changed = changedKeys(basic, outputOf([option])).filter(
        (k) => !METHOD_RECORD.some((m) => k.startsWith(m)),
      );
      const expected = EXPECTED[option];
      expect(changed.filter((k) => !expected.some((p) => k.startsWith(p)))).toEqual([]);
      for (const prefix of expected)
        expect(
          changed.some((k) => k.startsWith(prefix)),
          prefix,
        ).toBe(true);
    });
  }

  it('records each option in the method code sequence and the method text', () => {
    const out = deidentifyDataset(fileOf(richDataset()), {
      secret: SECRET,
      options: ['clean-descriptors', 'retain-uids'],
    }).file.dataset;
    const codes = out.get(0x00120064)?.items?.map((item) => text(item.get(0x00080100)));
    expect(codes).toEqual(['113100', '113105', '113110']);
    expect(text(out.get(0x00120063))).toContain('clean-descriptors');
    expect(text(out.get(0x00120062))).toBe('YES');
  });

  it('option values that retain or clean behave as the option says', () => {
    const out = (o: DeidOption) =>
      deidentifyDataset(fileOf(richDataset()), { secret: SECRET, options: [o] }).file.dataset;
    expect(text(out('retain-patient-characteristics').get(0x00102110))).toBe('penicillin, noted ***');
    expect(text(out('retain-long-full-dates').get(0x00080020))).toBe('20230105');
    expect(text(out('retain-long-full-dates').get(0x00280303))).toBe('UNMODIFIED');
    expect(text(out('retain-long-modified-dates').get(0x00280303))).toBe('MODIFIED');
    expect(text(out('retain-long-modified-dates').get(0x00080030))).toBe('101500');
    expect(text(out('retain-device-identity').get(0x00080055))).toMatch(/^AE[0-9A-F]{8}$/);
    expect(text(out('clean-descriptors').get(0x00204000))).toBe('call *** re ***');
    const graphics = out('clean-graphics').get(0x00700001)?.items?.[0];
    expect(text(graphics?.get(0x00700002))).toBe('LAYER1');
    expect(text(graphics?.get(0x00700008)?.items?.[0]?.get(0x00700006))).toBe('*** L kidney');
    expect(text(out('clean-graphics').get(0x50000022))).toBe('curve from ***');
  });
});

describe('option settings', () => {
  it('parses valid option names and drops duplicates', () => {
    expect(parseDeidOptions(['clean-descriptors', 'retain-uids', 'clean-descriptors'])).toEqual([
      'clean-descriptors',
      'retain-uids',
    ]);
  });

  it('rejects an unknown option with a message listing the valid ones', () => {
    expect(() => parseDeidOptions(['retain-everything'])).toThrow(DeidSettingsError);
    expect(() => parseDeidOptions(['retain-everything'])).toThrow(/retain-safe-private, retain-uids/);
  });

  it('refuses full and modified dates together, in parsing and in settings', () => {
    const both: DeidOption[] = ['retain-long-full-dates', 'retain-long-modified-dates'];
    expect(() => parseDeidOptions(both)).toThrow(/exclude each other/);
    try {
      deidentifyDataset(fileOf(richDataset()), { secret: SECRET, options: both });
      expect.unreachable();
    } catch (e) {
      expect((e as DeidSettingsError).code).toBe('conflicting-options');
    }
  });

  it('refuses a secret too short to key the pseudonyms', () => {
    expect(() =>
      deidentifyDataset(fileOf(richDataset()), { secret: new Uint8Array(8), options: [] }),
    ).toThrow(/at least 16/);
  });
});
