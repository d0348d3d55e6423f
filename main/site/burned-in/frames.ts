// One frame of a DICOM file as an 8-bit picture a person (or the OCR engine) would see: the stored
// values through the file's rescale and first window (or the frame's own range), MONOCHROME1
// inverted, colour kept as RGB. Decoding reuses the training room's decoders, so every transfer
// syntax they read (native, RLE, JPEG, JPEG-LS, JPEG 2000) is read here too.
import { errorCode, safeMessage } from '../../../shared/log-safety.ts';
import { parseDicom, type DicomFile } from '../dicom/index.ts';
import { decodeFrame, type DecodedFrame } from '../train/data/index.ts';
import { BurnedInError } from './errors.ts';

export interface Picture {
  width: number;
  height: number;
  channels: 1 | 3;
  /** width × height × channels bytes, rows top to bottom, channels interleaved. */
  data: Uint8Array;
}

export function parseImageFile(dicom: Uint8Array): DicomFile {
  try {
    return parseDicom(dicom);
  } catch (cause) {
    throw new BurnedInError(
      'not-an-image',
      'The file could not be read as DICOM: re-export it from the source.',
      {
        cause,
      },
    );
  }
}

export async function decodeImageFrame(file: DicomFile, frame = 0): Promise<DecodedFrame> {
  try {
    return await decodeFrame(file, frame);
  } catch (cause) {
    // Our decoders' sentences, or only the code of another error: these are identified images, and a
    // foreign message may quote a value of the file (shared/log-safety.ts).
    const detail = safeMessage(cause) ?? errorCode(cause);
    throw new BurnedInError('unsupported-pixel-data', `The image could not be decoded: ${detail}`, { cause });
  }
}

/** The 8-bit picture of a decoded frame. */
export function pictureOf(frame: DecodedFrame): Picture {
  const { rows: height, columns: width, values, photometric } = frame;
  const pixels = width * height;
  if (frame.samples === 3) {
    const shift = Math.max(0, frame.module.bitsStored - 8);
    const data = new Uint8Array(pixels * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Number(values[i]) >> shift));
    if (photometric.startsWith('YBR')) ybrToRgb(data);
    return { width, height, channels: 3, data };
  }
  const { rescaleSlope: slope, rescaleIntercept: intercept, window } = frame.module;
  let low: number;
  let high: number;
  if (window) {
    low = window.center - 0.5 - (window.width - 1) / 2;
    high = window.center - 0.5 + (window.width - 1) / 2;
  } else {
    low = Infinity;
    high = -Infinity;
    for (let i = 0; i < pixels; i++) {
      const v = Number(values[i]) * slope + intercept;
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  const span = high > low ? high - low : 1;
  const invert = photometric === 'MONOCHROME1';
  const data = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const v = Number(values[i]) * slope + intercept;
    const g = Math.round(Math.min(1, Math.max(0, (v - low) / span)) * 255);
    data[i] = invert ? 255 - g : g;
  }
  return { width, height, channels: 1, data };
}

/** YBR_FULL to RGB in place (PS3.3 C.7.6.3.1.2). */
function ybrToRgb(data: Uint8Array): void {
  for (let i = 0; i < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    data[i] = clamp(y + 1.402 * cr);
    data[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
    data[i + 2] = clamp(y + 1.772 * cb);
  }
}

const clamp = (v: number): number => Math.min(255, Math.max(0, Math.round(v)));

/** Box-filter downscale so that neither side exceeds `maxSize` (never upscales). */
export function downscale(picture: Picture, maxSize: number): Picture {
  const scale = Math.min(1, maxSize / Math.max(picture.width, picture.height));
  if (scale === 1) return picture;
  const width = Math.max(1, Math.round(picture.width * scale));
  const height = Math.max(1, Math.round(picture.height * scale));
  const c = picture.channels;
  const data = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * picture.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * picture.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * picture.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * picture.width) / width));
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let yy = y0; yy < y1; yy++)
          for (let xx = x0; xx < x1; xx++) sum += picture.data[(yy * picture.width + xx) * c + k]!;
        data[(y * width + x) * c + k] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
      }
    }
  }
  return { width, height, channels: c, data };
}
