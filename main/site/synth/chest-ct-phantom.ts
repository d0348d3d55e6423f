// An axial chest CT phantom in Hounsfield units: body ellipse with a fat rim, two dark lung fields
// with a few vessels, heart, vertebra, ribs, sternum and table. The finding is a round soft-tissue
// nodule inside a lung field. Coordinates are normalised to [-1, 1] across the field of view (y grows
// towards the patient's back), so the same anatomy renders at 128 or 512 pixels.
import { NOISE_MASK, type NoiseTable } from './noise-table.ts';
import type { Prng } from './prng.ts';

const AIR = -1000;
const FAT = -100;
const SOFT_TISSUE = 40;
const LUNG = -850;

/**
 * Boxes inside both lung fields for every anatomy this phantom draws, and where nodule centres lie:
 * the region a test (or a curious person) can average to see the finding. |x| in [x0, x1], y in [y0, y1].
 */
export const CT_LUNG_CORE = { x0: 0.3, x1: 0.5, y0: -0.3, y1: 0.1 } as const;

interface Ellipse {
  cx: number;
  cy: number;
  ax: number;
  ay: number;
}

export interface CtAnatomy {
  body: Ellipse;
  lungs: [Ellipse, Ellipse];
  heart: Ellipse;
  vessels: { x: number; y: number; r: number }[];
  ribAngles: number[];
}

export interface CtNodule {
  x: number;
  y: number;
  /** In-plane radius, normalised units. */
  radius: number;
  hu: number;
  zCenterMm: number;
  /** Extent along z; at least the in-plane radius, longer on thick slabs so most slices show it. */
  zRadiusMm: number;
}

export function randomCtAnatomy(prng: Prng): CtAnatomy {
  const lung = (side: 1 | -1): Ellipse => ({
    cx: side * prng.range(0.39, 0.41),
    cy: prng.range(-0.06, -0.04),
    ax: prng.range(0.27, 0.31),
    ay: prng.range(0.38, 0.44),
  });
  const vessels = [];
  for (let i = 0; i < 12; i++) {
    const side = i % 2 === 0 ? 1 : -1;
    vessels.push({ x: side * prng.range(0.2, 0.6), y: prng.range(-0.35, 0.25), r: prng.range(0.006, 0.014) });
  }
  const ribAngles = [];
  for (let i = 0; i < 12; i++)
    ribAngles.push(-Math.PI + ((i + 0.5) * (2 * Math.PI)) / 12 + prng.range(-0.1, 0.1));
  return {
    body: { cx: 0, cy: 0, ax: prng.range(0.85, 0.92), ay: prng.range(0.6, 0.68) },
    lungs: [lung(1), lung(-1)],
    heart: { cx: prng.range(0.08, 0.12), cy: prng.range(0.03, 0.07), ax: 0.2, ay: 0.17 },
    vessels,
    ribAngles,
  };
}

export function randomCtNodule(prng: Prng, fovMm: number, slabMm: number): CtNodule {
  const side = prng.chance(0.5) ? 1 : -1;
  const radius = prng.range(0.035, 0.07);
  const radiusMm = (radius * fovMm) / 2;
  return {
    x: side * prng.range(CT_LUNG_CORE.x0, CT_LUNG_CORE.x1),
    y: prng.range(CT_LUNG_CORE.y0, CT_LUNG_CORE.y1),
    radius,
    hu: prng.range(0, 60),
    zCenterMm: prng.range(-0.15, 0.15) * slabMm,
    zRadiusMm: Math.max(radiusMm, 0.45 * slabMm),
  };
}

const inside = (e: Ellipse, x: number, y: number, scale = 1): boolean => {
  const dx = (x - e.cx) / (e.ax * scale);
  const dy = (y - e.cy) / (e.ay * scale);
  return dx * dx + dy * dy <= 1;
};

/** The slice without noise or finding, in HU; computed once per study. */
export function renderCtBase(anatomy: CtAnatomy, matrix: number): Int16Array {
  const out = new Int16Array(matrix * matrix);
  const { body, lungs, heart } = anatomy;
  const ribs = anatomy.ribAngles.map((a) => ({
    x: Math.cos(a) * body.ax * 0.9,
    y: Math.sin(a) * body.ay * 0.9,
  }));
  for (let row = 0; row < matrix; row++) {
    const y = ((row + 0.5) / matrix) * 2 - 1;
    for (let col = 0; col < matrix; col++) {
      const x = ((col + 0.5) / matrix) * 2 - 1;
      let hu = AIR;
      if (inside(body, x, y)) {
        hu = inside(body, x, y, 0.94) ? SOFT_TISSUE : FAT;
        if (inside(lungs[0], x, y) || inside(lungs[1], x, y)) {
          hu = LUNG + Math.round(80 * (y + 0.5)); // dependent lung is denser
          for (const v of anatomy.vessels) {
            if ((x - v.x) ** 2 + (y - v.y) ** 2 <= v.r * v.r) hu = SOFT_TISSUE;
          }
        }
        if (inside(heart, x, y)) hu = 45;
        const spine = x * x + (y - 0.42) ** 2;
        if (spine <= 0.09 * 0.09) hu = spine >= 0.075 * 0.075 ? 800 : 300;
        if (x * x + (y - 0.55) ** 2 <= 0.035 * 0.035) hu = 20; // spinal canal
        if (inside({ cx: 0, cy: -body.ay * 0.88, ax: 0.05, ay: 0.025 }, x, y)) hu = 500; // sternum
        for (const r of ribs) {
          if ((x - r.x) ** 2 + (y - r.y) ** 2 <= 0.022 * 0.022) hu = 700;
        }
      } else if (y > body.ay + 0.05 && y < body.ay + 0.08 && Math.abs(x) < 0.8) {
        hu = 200; // table
      }
      out[row * matrix + col] = hu;
    }
  }
  return out;
}

export interface CtCalibration {
  huScale: number;
  huOffset: number;
  noiseHu: number;
  /** Added after calibration to get the stored value (0 for signed storage, 1024 for unsigned). */
  storedBias: number;
  signed: boolean;
}

/** Stored pixel values of one slice (native byte order), with the nodule's cross-section at zMm. */
export function renderCtSlice(
  base: Int16Array,
  matrix: number,
  nodule: CtNodule | null,
  zMm: number,
  cal: CtCalibration,
  noise: NoiseTable,
  noiseOffset: number,
): Int16Array | Uint16Array {
  const out = cal.signed ? new Int16Array(base.length) : new Uint16Array(base.length);
  const table = noise.values;
  const bias = cal.huOffset + cal.storedBias;
  // Typed arrays wrap out-of-range values; clamp instead, as a scanner does.
  const lo = cal.signed ? -32768 : 0;
  const hi = cal.signed ? 32767 : 65535;
  const store = (hu: number, i: number): void => {
    const v = Math.round(hu * cal.huScale + bias + table[(noiseOffset + i) & NOISE_MASK]! * cal.noiseHu);
    out[i] = v < lo ? lo : v > hi ? hi : v;
  };
  for (let i = 0; i < base.length; i++) store(base[i]!, i);
  const dz = nodule ? (zMm - nodule.zCenterMm) / nodule.zRadiusMm : 1;
  if (nodule && dz * dz < 1) {
    const r = nodule.radius * Math.sqrt(1 - dz * dz);
    const toPixel = (n: number): number => ((n + 1) / 2) * matrix - 0.5;
    const cx = toPixel(nodule.x);
    const cy = toPixel(nodule.y);
    const rp = (r * matrix) / 2;
    for (let row = Math.max(0, Math.floor(cy - rp)); row <= Math.min(matrix - 1, Math.ceil(cy + rp)); row++) {
      for (
        let col = Math.max(0, Math.floor(cx - rp));
        col <= Math.min(matrix - 1, Math.ceil(cx + rp));
        col++
      ) {
        if ((col - cx) ** 2 + (row - cy) ** 2 > rp * rp) continue;
        store(nodule.hu, row * matrix + col);
      }
    }
  }
  return out;
}
