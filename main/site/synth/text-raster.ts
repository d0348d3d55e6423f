// Real letters for synthetic burned-in text, with no canvas and no font library: glyph outlines of
// three DejaVu faces (extracted once by fonts/extract-glyphs.ts, Bitstream Vera licence) are
// flattened to polygons and filled with the non-zero rule at 4×4 subsamples per pixel, which gives
// anti-aliased text as a scanner console or a screen capture draws it. Deterministic: no randomness,
// no system fonts.
import sans from './fonts/dejavu-sans.json' with { type: 'json' };
import monoBold from './fonts/dejavu-sans-mono-bold.json' with { type: 'json' };
import serif from './fonts/dejavu-serif.json' with { type: 'json' };

interface FontData {
  unitsPerEm: number;
  ascender: number;
  descender: number;
  /** Character → [advance width, outline path], in font units. */
  glyphs: Record<string, (string | number)[]>;
}

export const SYNTH_FONTS = { sans, 'mono-bold': monoBold, serif } as const satisfies Record<string, FontData>;
export type SynthFontName = keyof typeof SYNTH_FONTS;

/** Coverage (0..1) of a line of text, `height` = ascender to descender in pixels. */
export interface TextMask {
  width: number;
  height: number;
  coverage: Float32Array;
}

type Edge = [x0: number, y0: number, x1: number, y1: number];

/** Parses M/L/Q/Z paths into straight edges, scaled and placed (y down). */
function edgesOf(path: string, scale: number, dx: number, baseline: number, out: Edge[]): void {
  const tokens = path.match(/[MLQZ]|-?\d+(?:\.\d+)?/g) ?? [];
  let i = 0;
  let cx = 0;
  let cy = 0;
  let sx = 0;
  let sy = 0;
  const num = (): number => Number(tokens[i++]);
  const px = (x: number): number => dx + x * scale;
  const py = (y: number): number => baseline - y * scale;
  while (i < tokens.length) {
    const op = tokens[i++];
    if (op === 'M') {
      cx = sx = px(num());
      cy = sy = py(num());
    } else if (op === 'L') {
      const x = px(num());
      const y = py(num());
      out.push([cx, cy, x, y]);
      cx = x;
      cy = y;
    } else if (op === 'Q') {
      const qx = px(num());
      const qy = py(num());
      const x = px(num());
      const y = py(num());
      const steps = 6;
      for (let s = 1; s <= steps; s++) {
        const t = s / steps;
        const nx = (1 - t) * (1 - t) * cx + 2 * (1 - t) * t * qx + t * t * x;
        const ny = (1 - t) * (1 - t) * cy + 2 * (1 - t) * t * qy + t * t * y;
        out.push([cx, cy, nx, ny]);
        cx = nx;
        cy = ny;
      }
    } else if (op === 'Z') {
      if (cx !== sx || cy !== sy) out.push([cx, cy, sx, sy]);
      cx = sx;
      cy = sy;
    }
  }
}

const SUB = 4;

export function rasteriseText(text: string, fontName: SynthFontName, height: number): TextMask {
  const font: FontData = SYNTH_FONTS[fontName];
  const scale = height / (font.ascender - font.descender);
  const edges: Edge[] = [];
  let pen = 1;
  for (const ch of text) {
    const glyph = font.glyphs[ch] ?? font.glyphs['?']!;
    edgesOf(String(glyph[1]), scale, pen, font.ascender * scale, edges);
    pen += Number(glyph[0]) * scale;
  }
  const width = Math.ceil(pen) + 1;
  const rows = Math.ceil(height);
  const coverage = new Float32Array(width * rows);
  const crossings: [number, number][] = [];
  for (let sy = 0; sy < rows * SUB; sy++) {
    const y = (sy + 0.5) / SUB;
    crossings.length = 0;
    for (const [x0, y0, x1, y1] of edges) {
      if (y0 === y1 || y < Math.min(y0, y1) || y >= Math.max(y0, y1)) continue;
      crossings.push([x0 + ((y - y0) / (y1 - y0)) * (x1 - x0), y1 > y0 ? 1 : -1]);
    }
    crossings.sort((a, b) => a[0] - b[0]);
    let winding = 0;
    for (let k = 0; k < crossings.length; k++) {
      winding += crossings[k]![1];
      if (winding === 0) continue;
      const from = crossings[k]![0];
      const to = crossings[k + 1]?.[0] ?? from;
      fillSpan(coverage, width, Math.floor(sy / SUB), from, to);
    }
  }
  return { width, height: rows, coverage };
}

/** Adds one subsample row's span [from, to) to the pixel row's coverage. */
function fillSpan(coverage: Float32Array, width: number, row: number, from: number, to: number): void {
  const weight = 1 / SUB;
  for (let s = Math.ceil(from * SUB - 0.5); (s + 0.5) / SUB < to; s++) {
    const x = Math.floor(s / SUB);
    if (x >= 0 && x < width) coverage[row * width + x]! += weight / SUB;
  }
}

/**
 * Draws `text` into a single-sample image of `width` columns, top-left at (x, y), blending toward
 * `value` by coverage. Returns the box it covers, clipped to the image.
 */
export function drawText(
  pixels: { length: number; [i: number]: number },
  width: number,
  rows: number,
  text: string,
  options: { x: number; y: number; height: number; font: SynthFontName; value: number },
): { x: number; y: number; width: number; height: number } {
  const mask = rasteriseText(text, options.font, options.height);
  // Integer pixel arrays get rounded values; float images (the phantoms' 0..1 scale) keep fractions.
  const round = !(pixels instanceof Float32Array);
  for (let my = 0; my < mask.height; my++) {
    const py = options.y + my;
    if (py < 0 || py >= rows) continue;
    for (let mx = 0; mx < mask.width; mx++) {
      const px = options.x + mx;
      const a = Math.min(1, mask.coverage[my * mask.width + mx]!);
      if (a <= 0 || px < 0 || px >= width) continue;
      const i = py * width + px;
      const v = pixels[i]! * (1 - a) + options.value * a;
      pixels[i] = round ? Math.round(v) : v;
    }
  }
  const x0 = Math.max(0, options.x);
  const y0 = Math.max(0, options.y);
  return {
    x: x0,
    y: y0,
    width: Math.max(0, Math.min(width, options.x + mask.width) - x0),
    height: Math.max(0, Math.min(rows, options.y + mask.height) - y0),
  };
}
