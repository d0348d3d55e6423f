// Test inputs for the conformance spec that the pydicom test set lacks, written with our own codec: a
// Comprehensive SR whose content tree carries every kind of value de-identification must treat
// differently (text, a name, a date, a time, a date-time, a UID reference, codes, a number), and a
// Grayscale Softcopy Presentation State with a graphic annotation. Both are valid: dciodvfy reports
// no error on either, so any error in their outputs is one de-identification made.
import type { DicomElement } from '../dicom/index.ts';
import { dataset, el, seq } from './test-fixtures.ts';

export const COMPREHENSIVE_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.33';
export const GRAYSCALE_SOFTCOPY_PS_STORAGE = '1.2.840.10008.5.1.4.1.1.11.1';
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

const ROOT = '1.2.826.0.1.3680043.2.1125.77';
const IMAGE_UID = `${ROOT}.5.1`;
const IMAGE_SERIES_UID = `${ROOT}.3.9`;

const code = (tag: number, value: string, scheme: string, meaning: string): DicomElement =>
  seq(tag, [el(0x00080100, 'SH', value), el(0x00080102, 'SH', scheme), el(0x00080104, 'LO', meaning)]);
const concept = (value: string, scheme: string, meaning: string) => code(0x0040a043, value, scheme, meaning);

/** Patient, General Study, General Equipment and SOP Common, with identifiers in every slot. */
function header(sopClass: string, sop: string, series: string, modality: string): DicomElement[] {
  return [
    el(0x00080005, 'CS', 'ISO_IR 100'),
    el(0x00080016, 'UI', sopClass),
    el(0x00080018, 'UI', sop),
    el(0x00080020, 'DA', '20230105'),
    el(0x00080030, 'TM', '101500'),
    el(0x00080050, 'SH', 'ACC55120'),
    el(0x00080060, 'CS', modality),
    el(0x00080070, 'LO', 'RadFed Test'),
    el(0x00080090, 'PN', 'HOUSE^GREGORY'),
    el(0x00100010, 'PN', 'SMITHERSON^JOHANNA'),
    el(0x00100020, 'LO', 'MRN4471922'),
    el(0x00100030, 'DA', '19610412'),
    el(0x00100040, 'CS', 'F'),
    el(0x0020000d, 'UI', `${ROOT}.1.1`),
    el(0x0020000e, 'UI', series),
    el(0x00200010, 'SH', 'ST8812'),
    el(0x00200011, 'IS', '7'),
    el(0x00200013, 'IS', '1'),
  ];
}

/** A verified Comprehensive SR: a report with text, a reader's name, dates, a UID reference and codes. */
export function comprehensiveSr() {
  const item = (relationship: string, valueType: string, ...rest: DicomElement[]) => [
    el(0x0040a010, 'CS', relationship),
    el(0x0040a040, 'CS', valueType),
    ...rest,
  ];
  return dataset(
    ...header(COMPREHENSIVE_SR_STORAGE, `${ROOT}.2.1`, `${ROOT}.3.1`, 'SR'),
    seq(0x00081111),
    el(0x00080023, 'DA', '20230106'),
    el(0x00080033, 'TM', '093000'),
    el(0x0040a491, 'CS', 'COMPLETE'),
    el(0x0040a493, 'CS', 'VERIFIED'),
    seq(0x0040a073, [
      el(0x0040a027, 'LO', 'St Elsewhere Radiology'),
      el(0x0040a030, 'DT', '20230106094500'),
      el(0x0040a075, 'PN', 'WATSON^EMMA'),
      seq(0x0040a088, [
        el(0x00080100, 'SH', 'EMP4471'),
        el(0x00080102, 'SH', '99STAFF'),
        el(0x00080104, 'LO', 'Emma Watson'),
      ]),
    ]),
    seq(0x0040a372),
    el(0x0040a040, 'CS', 'CONTAINER'),
    concept('18748-4', 'LN', 'Diagnostic Imaging Report'),
    el(0x0040a050, 'CS', 'SEPARATE'),
    seq(
      0x0040a730,
      item(
        'HAS OBS CONTEXT',
        'PNAME',
        concept('121008', 'DCM', 'Person Observer Name'),
        el(0x0040a123, 'PN', 'WATSON^EMMA'),
      ),
      item(
        'HAS OBS CONTEXT',
        'DATE',
        concept('111060', 'DCM', 'Study Date'),
        el(0x0040a121, 'DA', '20230105'),
      ),
      item('HAS OBS CONTEXT', 'TIME', concept('111061', 'DCM', 'Study Time'), el(0x0040a122, 'TM', '101500')),
      item(
        'HAS OBS CONTEXT',
        'DATETIME',
        concept('111526', 'DCM', 'DateTime Started'),
        el(0x0040a120, 'DT', '20230105101500'),
      ),
      item(
        'HAS OBS CONTEXT',
        'UIDREF',
        concept('110180', 'DCM', 'Study Instance UID'),
        el(0x0040a124, 'UI', `${ROOT}.1.1`),
      ),
      item(
        'CONTAINS',
        'CONTAINER',
        concept('121070', 'DCM', 'Findings'),
        el(0x0040a050, 'CS', 'SEPARATE'),
        seq(
          0x0040a730,
          item(
            'CONTAINS',
            'TEXT',
            concept('121071', 'DCM', 'Finding'),
            el(0x0040a160, 'UT', 'Mrs Smitherson: nodule 4 mm, call 0117 496 0123'),
          ),
          item(
            'CONTAINS',
            'CODE',
            concept('121071', 'DCM', 'Finding'),
            code(0x0040a168, '27925004', 'SCT', 'Nodule'),
          ),
          item(
            'CONTAINS',
            'NUM',
            concept('410668003', 'SCT', 'Length'),
            seq(0x0040a300, [code(0x004008ea, 'mm', 'UCUM', 'mm'), el(0x0040a30a, 'DS', '4')]),
          ),
        ),
      ),
    ),
  );
}

/** A GSPS on one CT image: a graphic layer, an arrow's text and a polyline, in pixel units. */
export function presentationState() {
  return dataset(
    ...header(GRAYSCALE_SOFTCOPY_PS_STORAGE, `${ROOT}.2.2`, `${ROOT}.3.2`, 'PR'),
    el(0x00200060, 'CS', ''),
    el(0x00700080, 'CS', 'READING'),
    el(0x00700081, 'LO', 'Lung nodule reading'),
    el(0x00700082, 'DA', '20230106'),
    el(0x00700083, 'TM', '093000'),
    el(0x00700084, 'PN', 'WATSON^EMMA'),
    seq(0x00081115, [
      el(0x0020000e, 'UI', IMAGE_SERIES_UID),
      seq(0x00081140, [el(0x00081150, 'UI', CT_IMAGE_STORAGE), el(0x00081155, 'UI', IMAGE_UID)]),
    ]),
    seq(0x0070005a, [
      seq(0x00081140, [el(0x00081150, 'UI', CT_IMAGE_STORAGE), el(0x00081155, 'UI', IMAGE_UID)]),
      el(0x00700052, 'SL', '\u0001\u0000\u0000\u0000\u0001\u0000\u0000\u0000'),
      el(0x00700053, 'SL', '\u0010\u0000\u0000\u0000\u0010\u0000\u0000\u0000'),
      el(0x00700100, 'CS', 'SCALE TO FIT'),
      el(0x00700102, 'IS', '1\\1'),
    ]),
    seq(0x00700060, [el(0x00700002, 'CS', 'FINDINGS'), el(0x00700062, 'IS', '1')]),
    seq(0x00700001, [
      el(0x00700002, 'CS', 'FINDINGS'),
      seq(0x00700008, [
        el(0x00700003, 'CS', 'PIXEL'),
        el(0x00700006, 'ST', 'Nodule, Mrs Smitherson'),
        el(0x00700010, 'FL', '\u0000\u0000\u0000\u0041\u0000\u0000\u0000\u0041'),
        el(0x00700011, 'FL', '\u0000\u0000\u0040\u0041\u0000\u0000\u0040\u0041'),
        el(0x00700012, 'CS', 'LEFT'),
      ]),
      seq(0x00700009, [
        el(0x00700005, 'CS', 'PIXEL'),
        el(0x00700020, 'US', '\u0002\u0000'),
        el(0x00700021, 'US', '\u0002\u0000'),
        el(
          0x00700022,
          'FL',
          '\u0000\u0000\u0080\u0040\u0000\u0000\u0080\u0040\u0000\u0000\u0000\u0041\u0000\u0000\u0000\u0041',
        ),
        el(0x00700023, 'CS', 'POLYLINE'),
        el(0x00700024, 'CS', 'N'),
      ]),
    ]),
    seq(0x00283110, [el(0x00281050, 'DS', '40'), el(0x00281051, 'DS', '400')]),
    el(0x20500020, 'CS', 'IDENTITY'),
  );
}
