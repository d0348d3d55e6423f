import { describe, expect, it } from 'vitest';
import { Tags } from '../dicom/index.ts';
import { dateOffsetDays, deidentifyDataset, patientPseudonym, remapUid, type DeidOption } from './index.ts';
import { shiftDa, shiftDt } from './dates.ts';
import { ctDataset, el, fileOf, OTHER_SECRET, SECRET, seq, text } from './test-fixtures.ts';

const STUDY = '1.2.826.0.1.3680043.2.1125.7.100';
const FILE1_SOP = '1.2.826.0.1.3680043.2.1125.7.101';
const FILE2_SOP = '1.2.826.0.1.3680043.2.1125.7.102';
const FOR_UID = '1.2.826.0.1.3680043.2.1125.7.103';

const run = (
  extra: Parameters<typeof ctDataset>[0],
  ids: Parameters<typeof ctDataset>[1],
  options: DeidOption[] = [],
) => deidentifyDataset(fileOf(ctDataset(extra, ids)), { secret: SECRET, options });

describe('UID remapping', () => {
  it('gives a 2.25 UID of at most 64 characters, without leading zeros, stable and secret-dependent', () => {
    const uid = remapUid(SECRET, STUDY);
    expect(uid).toMatch(/^2\.25\.(0|[1-9]\d*)$/);
    expect(uid.length).toBeLessThanOrEqual(64);
    expect(remapUid(SECRET, STUDY)).toBe(uid);
    expect(remapUid(new Uint8Array(SECRET), STUDY)).toBe(uid);
    expect(remapUid(OTHER_SECRET, STUDY)).not.toBe(uid);
    expect(remapUid(SECRET, `${STUDY}1`)).not.toBe(uid);
  });

  it('keeps references between two files of one study consistent', () => {
    const file1 = run([el(Tags.FrameOfReferenceUID, 'UI', FOR_UID)], { study: STUDY, sop: FILE1_SOP });
    const file2 = run(
      [
        el(Tags.FrameOfReferenceUID, 'UI', FOR_UID),
        seq(0x00081140, [
          el(Tags.ReferencedSOPClassUID, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
          el(Tags.ReferencedSOPInstanceUID, 'UI', FILE1_SOP),
        ]),
      ],
      { study: STUDY, sop: FILE2_SOP },
    );
    const ref = file2.file.dataset.get(0x00081140)?.items?.[0];
    expect(text(ref?.get(Tags.ReferencedSOPInstanceUID))).toBe(file1.instance.sopInstanceUid);
    expect(text(ref?.get(Tags.ReferencedSOPClassUID))).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(file2.instance.studyInstanceUid).toBe(file1.instance.studyInstanceUid);
    expect(file2.instance.seriesInstanceUid).toBe(file1.instance.seriesInstanceUid);
    expect(text(file2.file.dataset.get(Tags.FrameOfReferenceUID))).toBe(
      text(file1.file.dataset.get(Tags.FrameOfReferenceUID)),
    );
    expect(file1.instance.sopInstanceUid).toBe(remapUid(SECRET, FILE1_SOP));
  });

  it('does not remap SOP Class or Transfer Syntax UIDs, and writes new meta with the remapped instance UID', () => {
    const r = run([], { sop: FILE1_SOP });
    expect(text(r.file.dataset.get(Tags.SOPClassUID))).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(text(r.file.meta.get(Tags.MediaStorageSOPInstanceUID))).toBe(remapUid(SECRET, FILE1_SOP));
    expect(text(r.file.meta.get(Tags.TransferSyntaxUID))).toBe('1.2.840.10008.1.2.1');
    expect(r.file.meta.has(Tags.SourceApplicationEntityTitle)).toBe(false);
  });
});

describe('patient pseudonyms', () => {
  it("replaces Patient ID and Patient Name with 'RF' + 16 hex digits of the keyed hash", () => {
    const p = patientPseudonym(SECRET, 'MRN4471922');
    expect(p).toMatch(/^RF[0-9A-F]{16}$/);
    expect(patientPseudonym(SECRET, 'MRN4471922')).toBe(p);
    expect(patientPseudonym(OTHER_SECRET, 'MRN4471922')).not.toBe(p);
    const out = run([], { patient: 'MRN4471922' }).file.dataset;
    expect(text(out.get(Tags.PatientID))).toBe(p);
    expect(text(out.get(Tags.PatientName))).toBe(p);
  });

  it('derives the pseudonym of a file without Patient ID from its study, the same for the whole study', () => {
    const a = run([], { patient: '', study: STUDY, sop: FILE1_SOP }).instance.patientPseudonym;
    const b = run([], { patient: '', study: STUDY, sop: FILE2_SOP }).instance.patientPseudonym;
    expect(a).toBe(b);
    expect(a).toMatch(/^RF[0-9A-F]{16}$/);
    expect(a).not.toBe(patientPseudonym(SECRET, ''));
    expect(run([], { patient: '', study: `${STUDY}9` }).instance.patientPseudonym).not.toBe(a);
  });
});

describe('dates under Retain Longitudinal Temporal Information with Modified Dates', () => {
  const options: DeidOption[] = ['retain-long-modified-dates'];

  it('draws one offset per patient between -3650 and -365 days, never 0', () => {
    const offsets = Array.from({ length: 500 }, (_, i) => dateOffsetDays(SECRET, `RF${i}`));
    for (const d of offsets) {
      expect(d).toBeGreaterThanOrEqual(-3650);
      expect(d).toBeLessThanOrEqual(-365);
    }
    expect(new Set(offsets).size).toBeGreaterThan(400);
    expect(dateOffsetDays(SECRET, 'RF1')).toBe(offsets[1]);
  });

  it('shifts every date of a patient by the same offset in every file, so intervals survive', () => {
    const f1 = run(
      [el(Tags.StudyDate, 'DA', '20230105'), el(Tags.AcquisitionDateTime, 'DT', '20230105101500.25+0100')],
      { sop: FILE1_SOP },
      options,
    );
    const f2 = run(
      [el(Tags.StudyDate, 'DA', '20230415'), seq(0x00081115, [el(0x00080021, 'DA', '20240229')])],
      { sop: FILE2_SOP },
      options,
    );
    const days = (s: string | undefined) =>
      Date.UTC(Number(s?.slice(0, 4)), Number(s?.slice(4, 6)) - 1, Number(s?.slice(6, 8))) / 86_400_000;
    const offset = dateOffsetDays(SECRET, f1.instance.patientPseudonym);
    const d1 = text(f1.file.dataset.get(Tags.StudyDate));
    const d2 = text(f2.file.dataset.get(Tags.StudyDate));
    expect(days(d1) - days('20230105')).toBe(offset);
    expect(days(d2) - days(d1)).toBe(days('20230415') - days('20230105'));
    expect(text(f1.file.dataset.get(Tags.AcquisitionDateTime))).toBe(`${d1}101500.25+0100`);
    const nested = text(f2.file.dataset.get(0x00081115)?.items?.[0]?.get(0x00080021));
    expect(days(nested) - days('20240229')).toBe(offset);
  });

  it('gives another patient another offset', () => {
    const a = run([el(Tags.StudyDate, 'DA', '20230105')], { patient: 'P-A' }, options).file.dataset;
    const b = run([el(Tags.StudyDate, 'DA', '20230105')], { patient: 'P-B' }, options).file.dataset;
    expect(text(a.get(Tags.StudyDate))).not.toBe(text(b.get(Tags.StudyDate)));
  });

  it('shifts partial, ranged and ACR-NEMA dates, and refuses impossible ones', () => {
    expect(shiftDa('20240301', -1)).toBe('20240229');
    expect(shiftDa('2024.03.01', -1)).toBe('20240229');
    expect(shiftDa('20240301-20240302', -1)).toBe('20240229-20240301');
    expect(shiftDa('20230230', -1)).toBeUndefined();
    expect(shiftDt('2024', -1)).toBe('2023');
    expect(shiftDt('202403', -1)).toBe('202402');
    expect(shiftDt('20240301235959.123456-0500', -1)).toBe('20240229235959.123456-0500');
  });

  it('replaces an unreadable date with a dummy instead of keeping it', () => {
    const out = run([el(Tags.StudyDate, 'DA', 'JAN 5 23')], {}, options).file.dataset;
    expect(text(out.get(Tags.StudyDate))).toBe('19000101');
  });

  it('a dates cell wins over a keep cell of another chosen option (Date of Last Calibration)', () => {
    const input = [el(0x00181200, 'DA', '20230105')];
    const kept = run(input, {}, ['retain-device-identity']).file.dataset;
    expect(text(kept.get(0x00181200))).toBe('20230105');
    const both = run(input, {}, ['retain-device-identity', 'retain-long-modified-dates']);
    const offset = dateOffsetDays(SECRET, both.instance.patientPseudonym);
    expect(shiftDa('20230105', offset)).toBe(text(both.file.dataset.get(0x00181200)));
  });
});
