// Run by hand, not at build or run time: reads a TrueType font and writes the outlines of the
// printable ASCII characters as SVG-like paths (font units) into a small JSON file beside it, so
// that `radfed synth` draws real letters with no font library and no system font at run time.
// Usage: npx tsx main/site/synth/fonts/extract-glyphs.ts /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf dejavu-sans
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Point {
  x: number;
  y: number;
  on: boolean;
}

function tables(font: DataView): Map<string, number> {
  const count = font.getUint16(4);
  const map = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const at = 12 + i * 16;
    const tag = String.fromCharCode(...[0, 1, 2, 3].map((k) => font.getUint8(at + k)));
    map.set(tag, font.getUint32(at + 8));
  }
  return map;
}

/** cmap format 4 (Windows Unicode BMP): character code to glyph index. */
function glyphIndexOf(font: DataView, cmap: number, code: number): number {
  const subtables = font.getUint16(cmap + 2);
  for (let i = 0; i < subtables; i++) {
    const platform = font.getUint16(cmap + 4 + i * 8);
    const encoding = font.getUint16(cmap + 6 + i * 8);
    const at = cmap + font.getUint32(cmap + 8 + i * 8);
    if (!(platform === 3 && encoding === 1) || font.getUint16(at) !== 4) continue;
    const segX2 = font.getUint16(at + 6);
    const ends = at + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const offsets = deltas + segX2;
    for (let s = 0; s < segX2; s += 2) {
      if (code > font.getUint16(ends + s) || code < font.getUint16(starts + s)) continue;
      const rangeOffset = font.getUint16(offsets + s);
      if (rangeOffset === 0) return (code + font.getInt16(deltas + s)) & 0xffff;
      const g = font.getUint16(offsets + s + rangeOffset + 2 * (code - font.getUint16(starts + s)));
      return g === 0 ? 0 : (g + font.getInt16(deltas + s)) & 0xffff;
    }
  }
  return 0;
}

function contoursOf(
  font: DataView,
  glyf: number,
  loca: (g: number) => [number, number],
  g: number,
): Point[][] {
  const [start, end] = loca(g);
  if (end <= start) return [];
  const at = glyf + start;
  const n = font.getInt16(at);
  if (n < 0) return compositeContours(font, glyf, loca, at + 10);
  const endPts = Array.from({ length: n }, (_, i) => font.getUint16(at + 10 + i * 2));
  const total = (endPts[n - 1] ?? -1) + 1;
  let p = at + 10 + n * 2;
  p += 2 + font.getUint16(p);
  const flags: number[] = [];
  while (flags.length < total) {
    const f = font.getUint8(p++);
    flags.push(f);
    if (f & 8) for (let r = font.getUint8(p++); r > 0; r--) flags.push(f);
  }
  const read = (short: number, same: number): number[] => {
    let v = 0;
    return flags.map((f) => {
      if (f & short) v += f & same ? font.getUint8(p++) : -font.getUint8(p++);
      else if (!(f & same)) {
        v += font.getInt16(p);
        p += 2;
      }
      return v;
    });
  };
  const xs = read(2, 16);
  const ys = read(4, 32);
  const contours: Point[][] = [];
  let first = 0;
  for (const last of endPts) {
    contours.push(
      flags
        .slice(first, last + 1)
        .map((f, i) => ({ x: xs[first + i]!, y: ys[first + i]!, on: (f & 1) === 1 })),
    );
    first = last + 1;
  }
  return contours;
}

/** Composite glyphs: components placed by x/y offsets (scales are not used by the ASCII glyphs). */
function compositeContours(
  font: DataView,
  glyf: number,
  loca: (g: number) => [number, number],
  at: number,
): Point[][] {
  const out: Point[][] = [];
  for (;;) {
    const flags = font.getUint16(at);
    const component = font.getUint16(at + 2);
    const words = (flags & 1) !== 0;
    const dx = words ? font.getInt16(at + 4) : font.getInt8(at + 4);
    const dy = words ? font.getInt16(at + 6) : font.getInt8(at + 5);
    at += words ? 8 : 6;
    if (flags & 8) at += 2;
    else if (flags & 0x40) at += 4;
    else if (flags & 0x80) at += 8;
    for (const c of contoursOf(font, glyf, loca, component))
      out.push(c.map((q) => ({ ...q, x: q.x + dx, y: q.y + dy })));
    if (!(flags & 0x20)) return out;
  }
}

/** TrueType quadratic contour to an SVG-like path: M, L, Q, Z with integer font units. */
function pathOf(contours: Point[][]): string {
  const parts: string[] = [];
  for (const c of contours) {
    if (c.length === 0) continue;
    const startIndex = c.findIndex((q) => q.on);
    const start =
      startIndex >= 0 ? c[startIndex]! : { x: (c[0]!.x + c[1]!.x) / 2, y: (c[0]!.y + c[1]!.y) / 2, on: true };
    const ring =
      startIndex >= 0 ? [...c.slice(startIndex + 1), ...c.slice(0, startIndex + 1)] : [...c, c[0]!];
    parts.push(`M${start.x} ${start.y}`);
    let control: Point | null = null;
    for (const q of ring) {
      if (q.on) {
        parts.push(control ? `Q${control.x} ${control.y} ${q.x} ${q.y}` : `L${q.x} ${q.y}`);
        control = null;
      } else if (control) {
        const mid = { x: (control.x + q.x) / 2, y: (control.y + q.y) / 2 };
        parts.push(`Q${control.x} ${control.y} ${mid.x} ${mid.y}`);
        control = q;
      } else control = q;
    }
    if (control) parts.push(`Q${control.x} ${control.y} ${start.x} ${start.y}`);
    parts.push('Z');
  }
  return parts.join('');
}

const [fontPath, name] = process.argv.slice(2);
if (!fontPath || !name) throw new Error('usage: extract-glyphs.ts FONT.ttf NAME');
const bytes = readFileSync(fontPath);
const font = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const t = tables(font);
const need = (tag: string): number => {
  const at = t.get(tag);
  if (at === undefined) throw new Error(`the font has no ${tag} table`);
  return at;
};
const head = need('head');
const hhea = need('hhea');
const longLoca = font.getInt16(head + 50) === 1;
const locaAt = need('loca');
const loca = (g: number): [number, number] =>
  longLoca
    ? [font.getUint32(locaAt + g * 4), font.getUint32(locaAt + g * 4 + 4)]
    : [font.getUint16(locaAt + g * 2) * 2, font.getUint16(locaAt + g * 2 + 2) * 2];
const metrics = font.getUint16(hhea + 34);
const hmtx = need('hmtx');
const glyphs: Record<string, [number, string]> = {};
for (let code = 32; code < 127; code++) {
  const g = glyphIndexOf(font, need('cmap'), code);
  const advance = font.getUint16(hmtx + Math.min(g, metrics - 1) * 4);
  glyphs[String.fromCharCode(code)] = [advance, pathOf(contoursOf(font, need('glyf'), loca, g))];
}
const out = {
  font: name,
  source: 'DejaVu fonts 2.37 (https://dejavu-fonts.github.io), outlines of printable ASCII only',
  license:
    'Bitstream Vera Fonts Copyright (c) 2003 Bitstream, Inc.; DejaVu changes are in the public domain. Free to use, copy and redistribute under the Bitstream Vera license.',
  unitsPerEm: font.getUint16(head + 18),
  ascender: font.getInt16(hhea + 4),
  descender: font.getInt16(hhea + 6),
  glyphs,
};
writeFileSync(join(import.meta.dirname, `${name}.json`), `${JSON.stringify(out)}\n`);
