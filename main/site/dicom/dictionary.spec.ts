import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { keywordOf, parseDictionaryText, vrOf } from './dictionary.ts';
import { DICTIONARY_TEXT } from './dictionary-data.ts';
import { Tags } from './tags.ts';
import { transferSyntaxOf } from './transfer-syntax.ts';
import * as TS from './transfer-syntax.ts';

describe('data dictionary', () => {
  it('gives standard VRs and keywords', () => {
    expect(vrOf(Tags.PatientName)).toBe('PN');
    expect(vrOf(Tags.StudyInstanceUID)).toBe('UI');
    expect(vrOf(Tags.DeidentificationMethodCodeSequence)).toBe('SQ');
    expect(vrOf(Tags.RescaleSlope)).toBe('DS');
    expect(keywordOf(Tags.PatientName)).toBe('PatientName');
    expect(keywordOf(Tags.StudyInstanceUID)).toBe('StudyInstanceUID');
  });

  it('picks one VR for multi-VR entries: OW for pixel and LUT data, US for US-or-SS', () => {
    expect(vrOf(Tags.PixelData)).toBe('OW');
    expect(vrOf(0x60003000)).toBe('OW'); // Overlay Data
    expect(vrOf(0x00283006)).toBe('OW'); // LUT Data
    expect(vrOf(0x00280106)).toBe('US'); // Smallest Image Pixel Value
    expect(vrOf(0x00041420)).toBe('UL'); // an offset ("up")
  });

  it('resolves repeating groups and elements', () => {
    expect(vrOf(0x60020010)).toBe('US'); // Overlay Rows, group 6002
    expect(keywordOf(0x601e3000)).toBe('OverlayData');
    expect(vrOf(0x50040005)).toBe('US'); // Curve Dimensions, group 5004
    expect(keywordOf(0x50040005)).toBe('CurveDimensions');
    expect(vrOf(0x00280420)).toBe('US'); // Rows For Nth Order Coefficients, (0028,04x0)
    expect(vrOf(0x00280422)).toBe('LO'); // Coefficient Coding, (0028,04x2)
    expect(vrOf(0x7f020010)).toBe('OW'); // Variable Pixel Data, 7Fxx
    expect(vrOf(0x00203105)).toBe('CS'); // Source Image IDs, (0020,31xx)
  });

  it('treats private and unknown tags as the standard says', () => {
    expect(vrOf(0x00090010)).toBe('LO'); // private creator
    expect(vrOf(0x001900ff)).toBe('LO');
    expect(vrOf(0x00091001)).toBe('UN');
    expect(vrOf(0x00291010)).toBe('UN');
    expect(keywordOf(0x00091001)).toBeUndefined();
    expect(vrOf(0x00180000)).toBe('UL'); // group length
    expect(vrOf(0x00080002)).toBe('UN'); // not in the standard
  });
});

describe('transfer syntaxes', () => {
  it('knows the native ones and treats unknown UIDs as explicit LE encapsulated', () => {
    expect(transferSyntaxOf(TS.IMPLICIT_VR_LITTLE_ENDIAN)).toMatchObject({
      explicitVr: false,
      encapsulated: false,
    });
    expect(transferSyntaxOf(TS.EXPLICIT_VR_BIG_ENDIAN)).toMatchObject({
      littleEndian: false,
      encapsulated: false,
    });
    expect(transferSyntaxOf(TS.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)).toMatchObject({
      deflated: true,
      encapsulated: false,
    });
    for (const uid of [
      TS.JPEG_BASELINE,
      TS.JPEG_LS_LOSSLESS,
      TS.JPEG_2000,
      TS.RLE_LOSSLESS,
      TS.HTJ2K,
      '1.2.840.10008.1.2.4.102',
    ]) {
      expect(transferSyntaxOf(uid)).toEqual({
        uid,
        explicitVr: true,
        littleEndian: true,
        deflated: false,
        encapsulated: true,
      });
    }
  });
});

describe('the generated dictionary text', () => {
  it('holds every entry of dcmjs’s dictionary with the same VR and keyword (regenerate it after updating dcmjs)', () => {
    const dcmjs = createRequire(import.meta.url)('dcmjs') as {
      data: { DicomMetaDictionary: { nameMap: Record<string, { tag: string; vr: string; name: string }> } };
    };
    const generated = parseDictionaryText(DICTIONARY_TEXT);
    const fromDcmjs = new Map<number, { vr: string; keyword: string }>();
    for (const entry of Object.values(dcmjs.data.DicomMetaDictionary.nameMap)) {
      const m = /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(entry.tag);
      if (!m) continue;
      fromDcmjs.set(parseInt(`${m[1]}${m[2]}`, 16) >>> 0, {
        vr: entry.vr,
        keyword: entry.name.replace(/^RETIRED_/, ''),
      });
    }
    expect(generated.size).toBe(fromDcmjs.size);
    expect(generated.size).toBeGreaterThan(4000);
    for (const [tag, entry] of fromDcmjs) {
      const mine = generated.get(tag);
      expect(mine?.keyword, tag.toString(16)).toBe(entry.keyword);
      expect(mine?.vr === entry.vr || !/^[A-Z]{2}$/.test(entry.vr), tag.toString(16)).toBe(true);
    }
  });
});

describe('looking entries up in the generated text', () => {
  it('finds every entry, with the VR and keyword the whole-text parse gives, and nothing else', () => {
    const generated = parseDictionaryText(DICTIONARY_TEXT);
    for (const [tag, entry] of generated) {
      if (((tag >>> 16) & 1) === 1 || tag >>> 8 === 0x002031) continue;
      expect(keywordOf(tag), tag.toString(16)).toBe(entry.keyword);
      if ((tag & 0xffff) !== 0) expect(vrOf(tag), tag.toString(16)).toBe(entry.vr);
    }
    // Between, before and after the entries: absent (repeating groups aside).
    for (const tag of [0x00000005, 0x00100011, 0x00089999, 0x00289998, 0xfffcfffc, 0xfffefffe]) {
      if (generated.has(tag)) continue;
      expect(keywordOf(tag), tag.toString(16)).toBeUndefined();
      expect(vrOf(tag), tag.toString(16)).toBe('UN');
    }
  });
});
