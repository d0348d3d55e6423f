import { describe, expect, it } from 'vitest';
import { Tags } from '../dicom/index.ts';
import type { DicomElement } from '../dicom/index.ts';
import { deidentifyInstance } from './index.ts';
import { bytesOf, ctDataset, el, SC_IMAGE_STORAGE, SECRET, US_IMAGE_STORAGE } from './test-fixtures.ts';

const outcome = (extra: DicomElement[]) =>
  deidentifyInstance(bytesOf(ctDataset(extra)), { secret: SECRET, options: [] });

describe('burned-in text policy', () => {
  it('holds an image whose Burned In Annotation is YES, with a reason, and no output', () => {
    const o = outcome([el(Tags.BurnedInAnnotation, 'CS', 'YES')]);
    expect(o.status).toBe('held');
    expect(o.reason).toMatch(/Burned In Annotation \(0028,0301\) is YES/);
    expect(o.output).toBeNull();
    expect(o.instance?.patientPseudonym).toMatch(/^RF/);
  });

  it('holds an ultrasound image that does not say NO', () => {
    const o = outcome([el(Tags.Modality, 'CS', 'US'), el(Tags.SOPClassUID, 'UI', US_IMAGE_STORAGE)]);
    expect(o.status).toBe('held');
    expect(o.reason).toMatch(/ultrasound/);
  });

  it('releases an ultrasound image whose Burned In Annotation is NO', () => {
    const o = outcome([
      el(Tags.Modality, 'CS', 'US'),
      el(Tags.SOPClassUID, 'UI', US_IMAGE_STORAGE),
      el(Tags.BurnedInAnnotation, 'CS', 'NO'),
    ]);
    expect(o.status).toBe('deidentified');
    expect(o.output).not.toBeNull();
  });

  it('holds secondary capture by SOP class and converted images by Conversion Type', () => {
    expect(
      outcome([el(Tags.Modality, 'CS', 'CT'), el(Tags.SOPClassUID, 'UI', SC_IMAGE_STORAGE)]).status,
    ).toBe('held');
    expect(outcome([el(Tags.ConversionType, 'CS', 'WSD')]).reason).toMatch(/Conversion Type/);
  });

  it('releases a CT image without the attribute', () => {
    expect(outcome([]).status).toBe('deidentified');
  });
});
