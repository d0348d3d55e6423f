// From stored pixel values to a training image: modality values (rescale slope / intercept, PS3.3
// C.11.1), grey levels for colour images, a window to [0, 1] (VOI, C.11.2), MONOCHROME1 inverted,
// then resized to the task's square size (box filter when shrinking, bilinear otherwise).
import { TrainError } from '../errors.ts';
import type { DecodedFrame } from './decode-pixels.ts';

export interface PrepareRecipe {
  /** Output is size × size. */
  size: number;
  /** A fixed window in modality units, the file's own ('file', else 'auto'), or the image's range. */
  window: { center: number; width: number } | 'file' | 'auto';
}

/** The image as size × size values in [0, 1], row-major. */
export function prepareImage(frame: DecodedFrame, recipe: PrepareRecipe): Float32Array {
  const grey = modalityValues(frame);
  const window =
    recipe.window === 'auto' || (recipe.window === 'file' && !frame.module.window)
      ? percentileWindow(grey)
      : recipe.window === 'file'
        ? frame.module.window!
        : recipe.window;
  const low = window.center - window.width / 2;
  const invert = frame.photometric === 'MONOCHROME1';
  for (let i = 0; i < grey.length; i++) {
    const v = Math.min(1, Math.max(0, (grey[i]! - low) / window.width));
    grey[i] = invert ? 1 - v : v;
  }
  return resize(grey, frame.rows, frame.columns, recipe.size);
}

/** One value per pixel: rescaled stored values, or luminance (ITU-R BT.601) for colour. */
export function modalityValues(frame: DecodedFrame): Float32Array {
  const { rows, columns, samples, values } = frame;
  const out = new Float32Array(rows * columns);
  if (samples === 1) {
    const { rescaleSlope: slope, rescaleIntercept: intercept } = frame.module;
    for (let i = 0; i < out.length; i++) out[i] = values[i]! * slope + intercept;
  } else if (samples === 3 && frame.photometric.startsWith('YBR')) {
    for (let i = 0; i < out.length; i++) out[i] = values[i * 3]!;
  } else if (samples === 3) {
    for (let i = 0; i < out.length; i++) {
      out[i] = 0.299 * values[i * 3]! + 0.587 * values[i * 3 + 1]! + 0.114 * values[i * 3 + 2]!;
    }
  } else {
    throw new TrainError(
      'unsupported-pixel-data',
      `Images with ${samples} samples per pixel are not supported.`,
    );
  }
  return out;
}

/** 0.5th to 99.5th percentile, from a histogram, so a few hot pixels do not flatten the image. */
export function percentileWindow(values: Float32Array): { center: number; width: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return { center: min, width: 1 };
  const bins = 4096;
  const histogram = new Uint32Array(bins);
  const scale = (bins - 1) / (max - min);
  for (const v of values) histogram[Math.round((v - min) * scale)]!++;
  const at = (fraction: number) => {
    const target = fraction * values.length;
    let seen = 0;
    for (let b = 0; b < bins; b++) {
      seen += histogram[b]!;
      if (seen >= target) return min + b / scale;
    }
    return max;
  };
  const low = at(0.005);
  const high = Math.max(at(0.995), low + 1e-6);
  return { center: (low + high) / 2, width: high - low };
}

/** Resizes a rows × columns image to size × size (pixel centres aligned, edges clamped). */
export function resize(src: Float32Array, rows: number, columns: number, size: number): Float32Array {
  let image = src;
  let h = rows;
  let w = columns;
  // Shrink by whole factors with a box filter first, so bilinear sampling does not alias.
  const fy = Math.max(1, Math.floor(h / size));
  const fx = Math.max(1, Math.floor(w / size));
  if (fy > 1 || fx > 1) {
    const bh = Math.floor(h / fy);
    const bw = Math.floor(w / fx);
    const boxed = new Float32Array(bh * bw);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        let sum = 0;
        for (let dy = 0; dy < fy; dy++) {
          const row = (y * fy + dy) * w + x * fx;
          for (let dx = 0; dx < fx; dx++) sum += image[row + dx]!;
        }
        boxed[y * bw + x] = sum / (fy * fx);
      }
    }
    image = boxed;
    h = bh;
    w = bw;
  }
  if (h === size && w === size) return image === src ? image.slice() : image;
  const out = new Float32Array(size * size);
  const sy = h / size;
  const sx = w / size;
  for (let y = 0; y < size; y++) {
    const py = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(py);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = py - y0;
    for (let x = 0; x < size; x++) {
      const px = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(px);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = px - x0;
      const top = image[y0 * w + x0]! * (1 - tx) + image[y0 * w + x1]! * tx;
      const bottom = image[y1 * w + x0]! * (1 - tx) + image[y1 * w + x1]! * tx;
      out[y * size + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}
