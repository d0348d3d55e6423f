// Training-time augmentation of a prepared image: a horizontal flip, a small rotation and a small
// change of brightness and contrast, drawn from a seeded generator so a run can be replayed.
import type { SeededRandom } from './seeded-random.ts';

export interface AugmentOptions {
  /** Chance of a left–right flip (default 0.5). */
  flip?: number;
  /** Largest rotation either way, degrees (default 7). */
  rotationDegrees?: number;
  /** Largest relative change of contrast (default 0.1) and shift of brightness (default 0.05). */
  contrast?: number;
  brightness?: number;
}

/** Returns a new augmented size × size image; `image` is left as it is. */
export function augmentImage(
  image: Float32Array,
  size: number,
  random: SeededRandom,
  options: AugmentOptions = {},
): Float32Array {
  const flip = random.next() < (options.flip ?? 0.5);
  const maxAngle = ((options.rotationDegrees ?? 7) * Math.PI) / 180;
  const angle = (random.next() * 2 - 1) * maxAngle;
  const gain = 1 + (random.next() * 2 - 1) * (options.contrast ?? 0.1);
  const shift = (random.next() * 2 - 1) * (options.brightness ?? 0.05);
  const out = new Float32Array(size * size);
  const c = (size - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Inverse mapping: where in the source this output pixel comes from (edges clamped).
      const dx = (flip ? size - 1 - x : x) - c;
      const dy = y - c;
      const sx = Math.min(size - 1, Math.max(0, cos * dx + sin * dy + c));
      const sy = Math.min(size - 1, Math.max(0, -sin * dx + cos * dy + c));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(size - 1, x0 + 1);
      const y1 = Math.min(size - 1, y0 + 1);
      const tx = sx - x0;
      const ty = sy - y0;
      const v =
        (image[y0 * size + x0]! * (1 - tx) + image[y0 * size + x1]! * tx) * (1 - ty) +
        (image[y1 * size + x0]! * (1 - tx) + image[y1 * size + x1]! * tx) * ty;
      out[y * size + x] = (v - 0.5) * gain + 0.5 + shift;
    }
  }
  return out;
}
