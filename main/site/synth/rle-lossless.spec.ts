import { describe, expect, it } from 'vitest';
import { Prng } from './prng.ts';
import { decodeRleFrame, encapsulateFrames, encodeRleFrame, packBitsRows } from './rle-lossless.ts';

const asBytes = (a: Uint8Array | Uint16Array | Int16Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('RLE Lossless encoder (PS3.5 Annex G)', () => {
  it('packs a replicate run as -(n-1) and a literal run as n-1, padding the segment to even length', () => {
    expect([...packBitsRows(Uint8Array.of(7, 7, 7, 7, 1, 2, 3), 1, 7)]).toEqual([253, 7, 2, 1, 2, 3]);
    expect([...packBitsRows(Uint8Array.of(1, 2, 3), 1, 3)]).toEqual([2, 1, 2, 3]);
    expect([...packBitsRows(Uint8Array.of(9), 1, 1)]).toEqual([0, 9]);
  });

  it('encodes each row separately: a run never crosses a row boundary', () => {
    // 3 rows of 5 equal bytes: one replicate run per row, not one run of 15.
    expect([...packBitsRows(new Uint8Array(15).fill(4), 3, 5)]).toEqual([252, 4, 252, 4, 252, 4]);
  });

  it('splits runs and literals longer than 128 bytes', () => {
    const plane = new Uint8Array(300).fill(5);
    expect([...packBitsRows(plane, 1, 300)]).toEqual([129, 5, 129, 5, 213, 5]);
    const literal = Uint8Array.from({ length: 200 }, (_, i) => i % 2);
    const packed = packBitsRows(literal, 1, 200);
    expect(packed[0]).toBe(127);
    expect(packed[129]).toBe(71);
    expect(packed.length).toBe(202);
  });

  it('writes the 64-byte header: segment count, then offsets, most significant byte segment first', () => {
    const frame = encodeRleFrame(Uint16Array.of(0x0102, 0x0102, 0x0102, 0x0304), 2, 2);
    const view = new DataView(frame.buffer);
    expect(view.getUint32(0, true)).toBe(2);
    expect(view.getUint32(4, true)).toBe(64);
    const second = view.getUint32(8, true);
    expect(view.getUint32(12, true)).toBe(0);
    // High bytes: row [01 01], row [01 03]; low bytes: row [02 02], row [02 04]; each a 2-byte literal.
    expect([...frame.subarray(64, second)]).toEqual([1, 1, 1, 1, 1, 3]);
    expect([...frame.subarray(second)]).toEqual([1, 2, 2, 1, 2, 4]);
  });

  it.each([
    ['16-bit noise', 37, 23, 'noise16'],
    ['16-bit smooth with long runs', 64, 300, 'runs16'],
    ['8-bit mixed', 17, 9, 'mixed8'],
    ['signed 16-bit', 8, 8, 'signed16'],
  ] as const)('round-trips %s (%i x %i)', (_label, rows, cols, kind) => {
    const prng = new Prng(42, rows, cols);
    const n = rows * cols;
    const pixels =
      kind === 'mixed8'
        ? Uint8Array.from({ length: n }, (_, i) => (i % 11 < 5 ? 200 : prng.int(0, 255)))
        : kind === 'signed16'
          ? Int16Array.from({ length: n }, () => prng.int(-32768, 32767))
          : Uint16Array.from({ length: n }, (_, i) =>
              kind === 'noise16' ? prng.int(0, 65535) : Math.floor(i / 150) * 257,
            );
    const frame = encodeRleFrame(pixels, rows, cols);
    expect(decodeRleFrame(frame, n, pixels.BYTES_PER_ELEMENT)).toEqual(asBytes(pixels));
    // Every segment starts at an even offset (each is padded to even length).
    const view = new DataView(frame.buffer);
    for (let s = 0; s < pixels.BYTES_PER_ELEMENT; s++) expect(view.getUint32(4 + 4 * s, true) % 2).toBe(0);
  });

  it('refuses a frame whose sample count does not match rows x columns', () => {
    expect(() => encodeRleFrame(new Uint16Array(10), 3, 3)).toThrow(RangeError);
  });

  it('encapsulates frames: empty Basic Offset Table, even-length fragments, sequence delimiter', () => {
    const value = encapsulateFrames([Uint8Array.of(1, 2, 3)]);
    const view = new DataView(value.buffer);
    expect([view.getUint16(0, true), view.getUint16(2, true), view.getUint32(4, true)]).toEqual([
      0xfffe, 0xe000, 0,
    ]);
    expect([view.getUint16(8, true), view.getUint16(10, true), view.getUint32(12, true)]).toEqual([
      0xfffe, 0xe000, 4,
    ]);
    expect([...value.subarray(16, 20)]).toEqual([1, 2, 3, 0]);
    expect([view.getUint16(20, true), view.getUint16(22, true), view.getUint32(24, true)]).toEqual([
      0xfffe, 0xe0dd, 0,
    ]);
    expect(value.length).toBe(28);
  });
});
