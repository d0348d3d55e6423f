// Matching recognised words against the header's own values, and the rules by manufacturer and
// model: no OCR here, words are given as the OCR would return them.
import { describe, expect, it } from 'vitest';
import { encodeText, Tags, type DicomDataset, type Vr } from '../dicom/index.ts';
import { foldForMatch, identifyingNeedles, identifyingWords } from './identifiers.ts';
import type { OcrWord } from './ocr.ts';
import { ruleAreas } from './rules.ts';

const header = (...elements: [number, Vr, string][]): DicomDataset =>
  new Map(elements.map(([tag, vr, value]) => [tag, { tag, vr, value: encodeText(value, vr) }]));

const HEADER = header(
  [Tags.PatientName, 'PN', 'Doe^Jane^Ann'],
  [Tags.PatientID, 'LO', 'RF-00412'],
  [Tags.PatientBirthDate, 'DA', '19650312'],
  [Tags.AccessionNumber, 'SH', 'ACC88231'],
  [0x00080080, 'LO', "St Mary's Radiology"],
);

/** One line of words, laid out left to right. */
const line = (n: number, ...texts: string[]): OcrWord[] =>
  texts.map((text, i) => ({ x: i * 50, y: n * 20, width: 40, height: 12, text, confidence: 90, line: n }));

const flagsOf = (...texts: string[]): boolean[] =>
  identifyingWords(line(0, ...texts), identifyingNeedles(HEADER));

describe('identifying words', () => {
  it('matches names and their parts whatever the case and separators', () => {
    expect(flagsOf('DOE,', 'Jane')).toEqual([true, true]);
    expect(flagsOf('Jane', 'Doe', 'report')).toEqual([true, true, false]);
  });

  it('matches an ID despite OCR errors (O for 0, a lost hyphen, one wrong digit)', () => {
    expect(flagsOf('ID', 'RF-OO412')).toEqual([false, true]);
    expect(flagsOf('RF00412')).toEqual([true]);
    expect(flagsOf('RF-80412')).toEqual([true]);
  });

  it('matches dates in the spellings consoles print, also split over words', () => {
    expect(flagsOf('DOB', '12/03/1965')).toEqual([false, true]);
    expect(flagsOf('1965-03-12')).toEqual([true]);
    expect(flagsOf('12-Mar-1965')).toEqual([true]);
    expect(flagsOf('12', '03', '1965')).toEqual([true, true, true]);
    expect(flagsOf('13/04/1966')).toEqual([false]);
  });

  it('matches the accession and the institution', () => {
    expect(flagsOf('Acc', 'ACC88231')).toEqual([false, true]);
    expect(flagsOf('St', "Mary's", 'Radiology')).toEqual([true, true, true]);
  });

  it('does not take a short name part inside another word', () => {
    const needles = identifyingNeedles(header([Tags.PatientName, 'PN', 'Li^Wei']));
    expect(identifyingWords(line(0, 'CLINIC', 'report'), needles)).toEqual([false, false]);
    expect(identifyingWords(line(0, 'Li', 'Wei'), needles)).toEqual([true, true]);
  });

  it('folds the shapes OCR confuses into one', () => {
    expect(foldForMatch('SOLID-B2')).toBe(foldForMatch('50L1D 82'));
  });
});

describe('rules by manufacturer and model', () => {
  const us = (manufacturer: string, model: string): DicomDataset =>
    header(
      [Tags.Modality, 'CS', 'US'],
      [Tags.Manufacturer, 'LO', manufacturer],
      [Tags.ManufacturerModelName, 'LO', model],
    );

  it("blanks a GE LOGIQ ultrasound's patient banner, scaled to the image", () => {
    expect(ruleAreas(us('GE Healthcare', 'LOGIQ E10'), 640, 480)).toEqual([
      { x: 0, y: 0, width: 640, height: 39 },
    ]);
  });

  it('applies no rule to a model it does not know, or to another modality', () => {
    expect(ruleAreas(us('GE Healthcare', 'Vivid E95'), 640, 480)).toEqual([]);
    const ct = header(
      [Tags.Modality, 'CS', 'CT'],
      [Tags.Manufacturer, 'LO', 'GE'],
      [Tags.ManufacturerModelName, 'LO', 'LOGIQ'],
    );
    expect(ruleAreas(ct, 512, 512)).toEqual([]);
  });
});
