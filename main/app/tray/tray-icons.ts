// The tray's icons, drawn here rather than shipped as images: a coloured disc per state with a white
// sign, so that the state reads by shape as well as by colour (for colour-blind users). Also the app
// icon the installer uses (scripts/make-icons.ts). PNG encoding is the minimal valid form: 8-bit RGBA,
// no filtering, one zlib stream.
import { crc32, deflateSync } from 'node:zlib';
import type { TrayActivity } from './tray-state.ts';

type Shape = (x: number, y: number) => boolean;

const COLOURS: Record<TrayActivity, [number, number, number]> = {
  idle: [0x6b, 0x72, 0x80],
  ingesting: [0x25, 0x63, 0xeb],
  training: [0x16, 0xa3, 0x4a],
  uploading: [0x7c, 0x3a, 0xed],
  'waiting-for-approval': [0xd9, 0x77, 0x06],
  error: [0xdc, 0x26, 0x26],
};

// Signs in a unit square centred on (0, 0), radius 1.
const box =
  (x0: number, y0: number, x1: number, y1: number): Shape =>
  (x, y) =>
    x >= x0 && x <= x1 && y >= y0 && y <= y1;
const dot =
  (cx: number, cy: number, r: number): Shape =>
  (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const union =
  (...shapes: Shape[]): Shape =>
  (x, y) =>
    shapes.some((shape) => shape(x, y));
/** An arrow head pointing down (dir 1) or up (dir -1), tip at y = tip. */
const head =
  (tip: number, dir: 1 | -1): Shape =>
  (x, y) => {
    const depth = (tip - y) * dir;
    return depth >= 0 && depth <= 0.35 && Math.abs(x) <= depth * 1.1;
  };

const SIGNS: Record<TrayActivity, Shape> = {
  idle: dot(0, 0, 0.22),
  ingesting: union(box(-0.1, -0.55, 0.1, 0.15), head(0.55, 1)),
  training: union(box(-0.5, 0.0, -0.3, 0.45), box(-0.1, -0.25, 0.1, 0.45), box(0.3, -0.5, 0.5, 0.45)),
  uploading: union(box(-0.1, -0.15, 0.1, 0.55), head(-0.55, -1)),
  'waiting-for-approval': union(dot(-0.42, 0, 0.13), dot(0, 0, 0.13), dot(0.42, 0, 0.13)),
  error: union(box(-0.1, -0.55, 0.1, 0.15), dot(0, 0.4, 0.12)),
};

const SAMPLES = 4;

/** RGBA pixels of one state's icon, `size` pixels square, anti-aliased by supersampling. */
export function drawStateIcon(activity: TrayActivity, size: number): Uint8Array {
  const [r, g, b] = COLOURS[activity];
  const sign = SIGNS[activity];
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let disc = 0;
      let white = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          // Map to [-1, 1], leaving a one-pixel margin so the disc is not clipped.
          const x = ((px + (sx + 0.5) / SAMPLES) / size) * 2 - 1;
          const y = ((py + (sy + 0.5) / SAMPLES) / size) * 2 - 1;
          const inDisc = x * x + y * y <= (1 - 1 / size) ** 2;
          if (inDisc) disc++;
          if (inDisc && sign(x, y)) white++;
        }
      }
      const n = SAMPLES * SAMPLES;
      const coverage = disc / n;
      const whiteShare = disc > 0 ? white / disc : 0;
      const at = (py * size + px) * 4;
      pixels[at] = Math.round(r + (255 - r) * whiteShare);
      pixels[at + 1] = Math.round(g + (255 - g) * whiteShare);
      pixels[at + 2] = Math.round(b + (255 - b) * whiteShare);
      pixels[at + 3] = Math.round(255 * coverage);
    }
  }
  return pixels;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG file (8-bit RGBA) of `rgba`, `width` × `height` pixels. */
export function encodePng(rgba: Uint8Array, width: number, height: number): Buffer {
  if (rgba.length !== width * height * 4) throw new RangeError('pixel buffer does not match the size');
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, no filter, no interlace
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    // Each row starts with filter type 0 (none).
    rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** A Windows .ico holding one PNG image (Windows Vista and later read PNG inside ICO). */
export function encodeIco(png: Buffer, size: number): Buffer {
  const header = Buffer.alloc(6 + 16);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(1, 4); // one image
  header.writeUInt8(size >= 256 ? 0 : size, 6); // 0 means 256
  header.writeUInt8(size >= 256 ? 0 : size, 7);
  header.writeUInt16LE(1, 10); // colour planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(png.length, 14);
  header.writeUInt32LE(22, 18); // image data offset
  return Buffer.concat([header, png]);
}

/** The PNG of one state's tray icon. */
export function stateIconPng(activity: TrayActivity, size = 32): Buffer {
  return encodePng(drawStateIcon(activity, size), size, size);
}
