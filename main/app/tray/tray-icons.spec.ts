import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { drawStateIcon, encodeIco, encodePng, stateIconPng } from './tray-icons.ts';
import { TRAY_ACTIVITIES } from './tray-state.ts';

/** Reads back a PNG as written by encodePng: its chunks (CRC-checked), size and pixels. */
function readPng(png: Buffer) {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0]!.data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const rows = inflateSync(chunks[1]!.data);
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(rows[y * (width * 4 + 1)]).toBe(0);
    pixels.set(rows.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, bitDepth: ihdr[8], colourType: ihdr[9], pixels };
}

const pixel = (rgba: Uint8Array, size: number, x: number, y: number) =>
  Array.from(rgba.subarray((y * size + x) * 4, (y * size + x) * 4 + 4));

describe('tray icons', () => {
  it('encodes a valid 8-bit RGBA PNG that reads back to the same pixels', () => {
    const rgba = drawStateIcon('training', 32);
    const read = readPng(encodePng(rgba, 32, 32));
    expect(read).toMatchObject({ width: 32, height: 32, bitDepth: 8, colourType: 6 });
    expect(read.pixels).toEqual(rgba);
  });

  it('draws a transparent corner, a coloured disc and, for signed states, a white sign at the centre', () => {
    const error = drawStateIcon('error', 32);
    expect(pixel(error, 32, 0, 0)[3]).toBe(0);
    expect(pixel(error, 32, 4, 16)).toEqual([0xdc, 0x26, 0x26, 255]);
    expect(pixel(error, 32, 16, 10)).toEqual([255, 255, 255, 255]);
  });

  it('gives every state a different picture', () => {
    const pictures = TRAY_ACTIVITIES.map((activity) => stateIconPng(activity).toString('base64'));
    expect(new Set(pictures).size).toBe(TRAY_ACTIVITIES.length);
  });

  it('wraps a PNG in an ICO directory (256 written as 0)', () => {
    const png = stateIconPng('idle', 256);
    const ico = encodeIco(png, 256);
    expect(ico.readUInt16LE(2)).toBe(1);
    expect(ico.readUInt16LE(4)).toBe(1);
    expect(ico[6]).toBe(0);
    expect(ico.readUInt32LE(14)).toBe(png.length);
    expect(ico.subarray(ico.readUInt32LE(18))).toEqual(png);
  });

  it('refuses a pixel buffer of the wrong size', () => {
    expect(() => encodePng(new Uint8Array(10), 4, 4)).toThrow(RangeError);
  });
});
