// A frontal chest radiograph phantom (MONOCHROME2: bright = more attenuation): torso, two dark lung
// fields, spine and mediastinum, heart, ribs and clavicles. The finding is a round bright opacity in
// a lung field. Values are relative brightness in [0, 1] before the site's detector calibration.
import { NOISE_MASK, type NoiseTable } from './noise-table.ts';
import type { Prng } from './prng.ts';

/** Boxes inside both lung fields for every anatomy drawn here; nodule centres lie in them. */
export const RADIOGRAPH_LUNG_CORE = { x0: 0.22, x1: 0.46, y0: -0.35, y1: 0.0 } as const;

export interface RadiographAnatomy {
  lungCx: number;
  lungCy: number;
  lungAx: number;
  lungAy: number;
  heartCx: number;
  heartAx: number;
  ribPhase: number;
}

export interface RadiographNodule {
  x: number;
  y: number;
  radius: number;
  /** Added brightness at the centre. */
  contrast: number;
}

export function randomRadiographAnatomy(prng: Prng): RadiographAnatomy {
  return {
    lungCx: prng.range(0.35, 0.37),
    lungCy: prng.range(-0.09, -0.07),
    lungAx: prng.range(0.23, 0.26),
    lungAy: prng.range(0.48, 0.54),
    heartCx: prng.range(0.12, 0.16),
    heartAx: prng.range(0.24, 0.28),
    ribPhase: prng.range(-0.02, 0.02),
  };
}

export function randomRadiographNodule(prng: Prng): RadiographNodule {
  const side = prng.chance(0.5) ? 1 : -1;
  return {
    x: side * prng.range(RADIOGRAPH_LUNG_CORE.x0, RADIOGRAPH_LUNG_CORE.x1),
    y: prng.range(RADIOGRAPH_LUNG_CORE.y0, RADIOGRAPH_LUNG_CORE.y1),
    // 22–45 mm across in a 40 cm field of view (a nodule or small mass): 3.6–7 pixels at the demo's
    // 64 × 64. At 0.7× this size a network needed far more epochs to find it at all.
    radius: prng.range(0.056, 0.112),
    contrast: prng.range(0.18, 0.3),
  };
}

/** `zoom` above 1 magnifies the chest (a tighter field of view). */
export function renderRadiographBase(a: RadiographAnatomy, size: number, zoom = 1): Float32Array {
  const out = new Float32Array(size * size);
  for (let row = 0; row < size; row++) {
    const y = (((row + 0.5) / size) * 2 - 1) / zoom;
    for (let col = 0; col < size; col++) {
      const x = (((col + 0.5) / size) * 2 - 1) / zoom;
      const ax = Math.abs(x);
      let v = 0.04; // air
      const torso = (x / 0.88) ** 2 + ((y - 0.15) / 1.1) ** 2;
      if (torso <= 1) {
        v = 0.42;
        const lung = ((ax - a.lungCx) / a.lungAx) ** 2 + ((y - a.lungCy) / a.lungAy) ** 2;
        if (lung <= 1) v = 0.2 + 0.04 * lung; // lung edges are a little denser
        if (ax < 0.07) v = 0.62; // spine and mediastinum
        if (((x - a.heartCx) / a.heartAx) ** 2 + ((y - 0.3) / 0.22) ** 2 <= 1) v = 0.55;
        for (let k = 0; k < 9; k++) {
          const ribY = -0.55 + k * 0.11 + a.ribPhase + 0.06 * (1 - Math.cos((Math.PI * ax) / 0.7));
          if (ax > 0.08 && ax < 0.66 && Math.abs(y - ribY) < 0.012) v += 0.12;
        }
        if (ax > 0.05 && ax < 0.5 && Math.abs(y - (-0.62 + 0.1 * ax)) < 0.018) v += 0.15; // clavicles
      }
      out[row * size + col] = v;
    }
  }
  return out;
}

export interface RadiographCalibration {
  gain: number;
  offset: number;
  noise: number;
  bitsStored: 12 | 16;
}

/**
 * Stored values. `process` is the console's image processing, applied before the detector noise is
 * added; `label` then burns text into the image (0..1 scale), as a console does after processing.
 */
export function renderRadiograph(
  base: Float32Array,
  size: number,
  nodule: RadiographNodule | null,
  cal: RadiographCalibration,
  noise: NoiseTable,
  noiseOffset: number,
  label?: (image: Float32Array) => void,
  process?: (image: Float32Array) => void,
): Uint16Array {
  const image = Float32Array.from(base);
  if (nodule) {
    const toPixel = (n: number): number => ((n + 1) / 2) * size - 0.5;
    const cx = toPixel(nodule.x);
    const cy = toPixel(nodule.y);
    const rp = (nodule.radius * size) / 2;
    for (let row = Math.max(0, Math.floor(cy - rp)); row <= Math.min(size - 1, Math.ceil(cy + rp)); row++) {
      for (let col = Math.max(0, Math.floor(cx - rp)); col <= Math.min(size - 1, Math.ceil(cx + rp)); col++) {
        const d2 = ((col - cx) ** 2 + (row - cy) ** 2) / (rp * rp);
        if (d2 < 1) image[row * size + col]! += nodule.contrast * Math.sqrt(1 - d2);
      }
    }
  }
  process?.(image);
  label?.(image);
  const max = 2 ** cal.bitsStored - 1;
  const out = new Uint16Array(image.length);
  const table = noise.values;
  for (let i = 0; i < image.length; i++) {
    const v = Math.round(
      (image[i]! * cal.gain + cal.offset + table[(noiseOffset + i) & NOISE_MASK]! * cal.noise) * max,
    );
    out[i] = v < 0 ? 0 : v > max ? max : v;
  }
  return out;
}
