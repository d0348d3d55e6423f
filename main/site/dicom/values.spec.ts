import { describe, expect, it } from 'vitest';
import type { DicomDataset, DicomElement } from './model.ts';
import { Tags } from './tags.ts';
import * as TS from './transfer-syntax.ts';
import {
  encodeNumbers,
  encodeText,
  getString,
  readNumbers,
  readString,
  readStrings,
  setString,
} from './values.ts';

const LE = TS.transferSyntaxOf(TS.EXPLICIT_VR_LITTLE_ENDIAN);
const BE = TS.transferSyntaxOf(TS.EXPLICIT_VR_BIG_ENDIAN);
const el = (vr: DicomElement['vr'], value: Uint8Array): DicomElement => ({ tag: 0x00100010, vr, value });

describe('text values', () => {
  it('strips trailing space and NUL padding, and splits multiple values', () => {
    expect(readString(el('LO', Buffer.from('ABC ')))).toBe('ABC');
    expect(readString(el('UI', Buffer.from('1.2.3\0')))).toBe('1.2.3');
    expect(readString(el('LO', Buffer.from(' lead')))).toBe(' lead');
    expect(readStrings(el('CS', Buffer.from('ORIGINAL \\PRIMARY\\AXIAL ')))).toEqual([
      'ORIGINAL',
      'PRIMARY',
      'AXIAL',
    ]);
    expect(readStrings(el('CS', new Uint8Array(0)))).toEqual([]);
  });

  it('round-trips every byte through latin1', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => (i === 0 || i === 0x20 ? 0x41 : i));
    expect(Buffer.from(encodeText(readString(el('LT', all)), 'LT')).equals(all)).toBe(true);
  });

  it('pads to even length: space for text, NUL for UI', () => {
    expect([...encodeText('ABC', 'LO')]).toEqual([0x41, 0x42, 0x43, 0x20]);
    expect([...encodeText('1.2.3', 'UI')]).toEqual([...Buffer.from('1.2.3\0')]);
    expect(encodeText('AB', 'SH').length).toBe(2);
  });

  it('sets and gets through a data set', () => {
    const ds: DicomDataset = new Map();
    setString(ds, Tags.PatientID, 'LO', 'X1');
    expect(getString(ds, Tags.PatientID)).toBe('X1');
    expect(ds.get(Tags.PatientID)?.vr).toBe('LO');
    expect(getString(ds, Tags.PatientName)).toBeUndefined();
  });
});

describe('numeric values', () => {
  it('reads and writes binary numbers in either byte order', () => {
    for (const ts of [LE, BE]) {
      for (const [vr, values] of [
        ['US', [0, 1, 65535]],
        ['SS', [-32768, -1, 7]],
        ['UL', [4294967295, 12]],
        ['SL', [-2147483648, 5]],
        ['FL', [1.5, -0.25]],
        ['FD', [Math.PI, -1e300]],
        ['SV', [-(2 ** 40)]],
        ['UV', [2 ** 50]],
      ] as const) {
        const bytes = encodeNumbers([...values], vr, ts);
        expect(readNumbers(el(vr, bytes), ts), `${vr} ${ts.uid}`).toEqual(values);
      }
    }
    expect([...encodeNumbers([0x0102], 'US', BE)]).toEqual([0x01, 0x02]);
    expect([...encodeNumbers([0x0102], 'US', LE)]).toEqual([0x02, 0x01]);
  });

  it('reads DS and IS text, skipping empty values and giving NaN for garbage', () => {
    expect(readNumbers(el('DS', Buffer.from(' 1.5\\-2E3 ')), LE)).toEqual([1.5, -2000]);
    expect(readNumbers(el('IS', Buffer.from('')), LE)).toEqual([]);
    expect(readNumbers(el('IS', Buffer.from('1A')), LE)).toEqual([NaN]);
  });

  it('writes DS within 16 characters and IS as integers', () => {
    const ds = readString(el('DS', encodeNumbers([1 / 3, 123456789.12345678], 'DS', LE)));
    for (const v of ds.split('\\')) expect(v.length).toBeLessThanOrEqual(16);
    expect(Number(ds.split('\\')[0])).toBeCloseTo(1 / 3, 12);
    expect(readString(el('IS', encodeNumbers([-5, 12], 'IS', LE)))).toBe('-5\\12');
    expect(() => encodeNumbers([1.5], 'IS', LE)).toThrow(/integer/);
    expect(() => encodeNumbers([1], 'PN', LE)).toThrow(/not numeric/);
  });
});
