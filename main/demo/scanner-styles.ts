// What makes one hospital's radiographs look unlike another's even for the same patient: the field of
// view, the vendor's image processing (noise reduction that softens, edge enhancement that sharpens
// and amplifies noise, the tone curve), and the detector's noise. The synthesiser varies calibration
// and bit depth, which windowing evens out; the demo adds these on top, per hospital, by rewriting the
// pixel data of its synthetic studies, so that a model from one hospital meets unfamiliar images at
// the others (the failure federation is meant to fix).
import { readFileSync, writeFileSync } from 'node:fs';
import {
  buildFileMeta,
  getString,
  parseDicom,
  Tags,
  transferSyntaxOf,
  writeDicom,
} from '../site/dicom/index.ts';
import { decodeFrame } from '../site/train/index.ts';

export interface ScannerStyle {
  /** In words, for the progress lines. */
  readonly label: string;
  /** > 1 magnifies (a tighter field of view), < 1 shows more around the chest. */
  readonly zoom: number;
  /** Gaussian blur sigma in pixels (noise reduction). */
  readonly blur: number;
  /** Unsharp-mask amount (edge enhancement). */
  readonly sharpen: number;
  /** Tone curve exponent on [0, 1] (< 1 lifts the dark lungs). */
  readonly gamma: number;
  /** Added noise, standard deviation as a fraction of full scale. */
  readonly noise: number;
}

export const SCANNER_STYLES: readonly ScannerStyle[] = [
  { label: 'sharp, low noise', zoom: 1, blur: 0, sharpen: 0, gamma: 1, noise: 0 },
  {
    label: 'heavy noise reduction, lifted tone curve',
    zoom: 1.15,
    blur: 1.1,
    sharpen: 0,
    gamma: 0.6,
    noise: 0,
  },
  {
    label: 'wide field of view, edge enhancement, noisy detector',
    zoom: 0.8,
    blur: 0,
    sharpen: 1.2,
    gamma: 1.25,
    noise: 0.035,
  },
  {
    label: 'tight field of view, mild smoothing',
    zoom: 1.3,
    blur: 0.6,
    sharpen: 0,
    gamma: 0.85,
    noise: 0.01,
  },
];

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** Rewrites one synthetic file's pixels in the hospital's style (encapsulated syntaxes become Explicit VR LE). */
export async function applyScannerStyle(path: string, style: ScannerStyle, seed: number): Promise<void> {
  const file = parseDicom(new Uint8Array(readFileSync(path)));
  const frame = await decodeFrame(file, 0);
  if (frame.samples !== 1) return; // screen captures and colour images keep their pixels
  const { rows, columns } = frame;
  const max = 2 ** frame.module.bitsStored - 1;
  let image: Float32Array = new Float32Array(rows * columns);
  for (let i = 0; i < image.length; i++) image[i] = Number(frame.values[i]) / max;
  image = restyle(image, rows, columns, style, seed);
  const stored = new Uint16Array(image.length);
  for (let i = 0; i < image.length; i++) stored[i] = Math.round(Math.min(1, Math.max(0, image[i]!)) * max);

  let transferSyntax = file.transferSyntax;
  let meta = file.meta;
  if (transferSyntax.encapsulated) {
    transferSyntax = transferSyntaxOf(EXPLICIT_LE);
    meta = buildFileMeta({
      sopClassUid: getString(file.dataset, Tags.SOPClassUID)!.trim(),
      sopInstanceUid: getString(file.dataset, Tags.SOPInstanceUID)!.trim(),
      transferSyntaxUid: EXPLICIT_LE,
    });
  }
  const bytes = new Uint8Array(stored.length * 2);
  const view = new DataView(bytes.buffer);
  stored.forEach((value, i) => view.setUint16(i * 2, value, transferSyntax.littleEndian));
  file.dataset.set(Tags.PixelData, { tag: Tags.PixelData, vr: 'OW', value: bytes });
  writeFileSync(path, Buffer.concat(writeDicom({ ...file, meta, transferSyntax })));
}

export function restyle(
  source: Float32Array,
  rows: number,
  columns: number,
  style: ScannerStyle,
  seed: number,
): Float32Array {
  let image = source;
  if (style.zoom !== 1) image = zoom(image, rows, columns, style.zoom);
  if (style.gamma !== 1) image = image.map((v) => Math.max(0, v) ** style.gamma);
  if (style.blur > 0) image = gaussian(image, rows, columns, style.blur);
  if (style.sharpen > 0) {
    const soft = gaussian(image, rows, columns, 1.5);
    image = image.map((v, i) => v + style.sharpen * (v - soft[i]!));
  }
  if (style.noise > 0) {
    let state = seed >>> 0 || 1;
    const uniform = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state + 0.5) / 2 ** 32;
    };
    image = image.map(
      (v) => v + style.noise * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
    );
  }
  return image;
}

function zoom(image: Float32Array, rows: number, columns: number, factor: number): Float32Array {
  // Outside the original field: the darkest value there was (air), as a detector shows it.
  let background = Infinity;
  for (const v of image) background = Math.min(background, v);
  const out = new Float32Array(image.length);
  const cy = (rows - 1) / 2;
  const cx = (columns - 1) / 2;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const sy = cy + (y - cy) / factor;
      const sx = cx + (x - cx) / factor;
      if (sy < 0 || sx < 0 || sy > rows - 1 || sx > columns - 1) {
        out[y * columns + x] = background;
        continue;
      }
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const y1 = Math.min(rows - 1, y0 + 1);
      const x1 = Math.min(columns - 1, x0 + 1);
      const fy = sy - y0;
      const fx = sx - x0;
      const top = image[y0 * columns + x0]! * (1 - fx) + image[y0 * columns + x1]! * fx;
      const bottom = image[y1 * columns + x0]! * (1 - fx) + image[y1 * columns + x1]! * fx;
      out[y * columns + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

function gaussian(image: Float32Array, rows: number, columns: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  const total = kernel.reduce((a, b) => a + b, 0);
  const weights = kernel.map((k) => k / total);
  const pass = (input: Float32Array, horizontal: boolean) => {
    const out = new Float32Array(input.length);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = horizontal ? Math.min(columns - 1, Math.max(0, x + k)) : x;
          const yy = horizontal ? y : Math.min(rows - 1, Math.max(0, y + k));
          sum += input[yy * columns + xx]! * weights[k + radius]!;
        }
        out[y * columns + x] = sum;
      }
    }
    return out;
  };
  return pass(pass(image, true), false);
}
