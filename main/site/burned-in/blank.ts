// Blanking: every frame decoded, the boxes (plus a margin) set to one value (their surroundings'), and the
// frames written back as native pixel data. Only the pixels inside the widened boxes change.
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  encodeText,
  RLE_LOSSLESS,
  Tags,
  transferSyntaxOf,
  type DicomFile,
} from '../dicom/index.ts';
import type { DecodedFrame, PixelArray } from '../train/data/index.ts';
import { encapsulateFrames, encodeRleFrame } from '../synth/index.ts';
import { decodeImageFrame } from './frames.ts';
import type { TextBox } from './types.ts';

export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The box widened by a margin (a quarter of its height, at least 3 pixels), clipped to the image. */
export function blankedArea(box: TextBox, columns: number, rows: number): Area {
  const margin = Math.max(3, Math.ceil(box.height / 4));
  const x = Math.max(0, box.x - margin);
  const y = Math.max(0, box.y - margin);
  return {
    x,
    y,
    width: Math.min(columns, box.x + box.width + margin) - x,
    height: Math.min(rows, box.y + box.height + margin) - y,
  };
}

/**
 * The fill of an area: per sample, the median of the pixels on its border (the ring just inside
 * it). The blank then matches its surroundings: a dark rectangle on a light page would itself be
 * read as a letter by the second OCR pass, and tells a reader nothing the surroundings do not.
 */
function borderMedian(frame: DecodedFrame, a: Area): number[] {
  const s = frame.samples;
  const fill: number[] = [];
  for (let k = 0; k < s; k++) {
    const ring: number[] = [];
    const at = (x: number, y: number): void => {
      ring.push(frame.values[(y * frame.columns + x) * s + k]!);
    };
    for (let x = a.x; x < a.x + a.width; x++) {
      at(x, a.y);
      at(x, a.y + a.height - 1);
    }
    for (let y = a.y; y < a.y + a.height; y++) {
      at(a.x, y);
      at(a.x + a.width - 1, y);
    }
    ring.sort((p, q) => p - q);
    fill.push(ring[Math.floor(ring.length / 2)] ?? 0);
  }
  return fill;
}

export function blankFrame(frame: DecodedFrame, areas: readonly Area[]): PixelArray {
  const out = frame.values.slice();
  const s = frame.samples;
  for (const a of areas) {
    const fill = borderMedian(frame, a);
    for (let y = a.y; y < a.y + a.height; y++)
      for (let x = a.x; x < a.x + a.width; x++)
        for (let k = 0; k < s; k++) out[(y * frame.columns + x) * s + k] = fill[k]!;
  }
  return out;
}

/** Why this file's pixels cannot be rewritten, or null. */
export function cannotRewrite(frame: DecodedFrame): string | null {
  if (frame.module.bitsAllocated === 1)
    return 'the image is stored one bit per pixel, which cannot be cleaned';
  if (![8, 16, 32].includes(frame.module.bitsAllocated))
    return 'the image uses an unusual pixel size that cannot be cleaned';
  return null;
}

/**
 * Decodes every frame, blanks the areas, and replaces the file's pixel data. An RLE greyscale source
 * (8 or 16 bits) stays RLE Lossless; any other compressed source becomes native Explicit VR Little
 * Endian (interleaved samples); a native one keeps its syntax and byte order. Returns the decoded
 * frames before blanking, for checks.
 */
export async function blankFile(
  file: DicomFile,
  areas: readonly Area[],
  frames: number,
): Promise<DecodedFrame[]> {
  const originals: DecodedFrame[] = [];
  const chunks: Uint8Array[] = [];
  const rle: Uint8Array[] = [];
  for (let f = 0; f < frames; f++) {
    const frame = await decodeImageFrame(file, f);
    originals.push(frame);
    const blanked = blankFrame(frame, areas);
    if (staysRle(file, frame)) {
      rle.push(encodeRleFrame(rleInput(blanked), frame.rows, frame.columns));
      continue;
    }
    const bytes = new Uint8Array(blanked.buffer, blanked.byteOffset, blanked.byteLength).slice();
    if (!file.transferSyntax.encapsulated && !file.transferSyntax.littleEndian)
      swapToBigEndian(bytes, blanked.BYTES_PER_ELEMENT);
    chunks.push(bytes);
  }
  const first = originals[0]!;
  if (rle.length === frames) {
    file.dataset.set(Tags.PixelData, { tag: Tags.PixelData, vr: 'OB', encapsulated: encapsulateFrames(rle) });
    return originals;
  }
  let length = chunks.reduce((n, c) => n + c.length, 0);
  const pixelData = new Uint8Array(length + (length & 1));
  length = 0;
  for (const c of chunks) {
    pixelData.set(c, length);
    length += c.length;
  }
  const ds = file.dataset;
  if (file.transferSyntax.encapsulated) file.transferSyntax = transferSyntaxOf(EXPLICIT_VR_LITTLE_ENDIAN);
  const vr = first.module.bitsAllocated > 8 ? 'OW' : 'OB';
  ds.set(Tags.PixelData, { tag: Tags.PixelData, vr, value: pixelData });
  if (first.samples > 1) {
    const planar = Tags.PlanarConfiguration;
    ds.set(planar, { tag: planar, vr: 'US', value: numberBytes(0, file.transferSyntax.littleEndian) });
    // A JPEG decoder may have given RGB for YBR, and native YBR_FULL_422 is written out in full.
    const photometric = Tags.PhotometricInterpretation;
    ds.set(photometric, { tag: photometric, vr: 'CS', value: encodeText(first.photometric, 'CS') });
  }
  return originals;
}

const staysRle = (file: DicomFile, frame: DecodedFrame): boolean =>
  file.transferSyntax.uid === RLE_LOSSLESS &&
  frame.samples === 1 &&
  [8, 16].includes(frame.module.bitsAllocated);

/** The RLE encoder takes unsigned 8-bit or 16-bit words; signed 8-bit values are the same bytes. */
function rleInput(values: PixelArray): Uint8Array | Uint16Array | Int16Array {
  if (values instanceof Uint8Array || values instanceof Uint16Array || values instanceof Int16Array)
    return values;
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function numberBytes(value: number, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value, littleEndian);
  return out;
}

function swapToBigEndian(bytes: Uint8Array, width: number): void {
  if (width === 2) for (let i = 0; i + 1 < bytes.length; i += 2) bytes.set([bytes[i + 1]!, bytes[i]!], i);
  if (width === 4)
    for (let i = 0; i + 3 < bytes.length; i += 4)
      bytes.set([bytes[i + 3]!, bytes[i + 2]!, bytes[i + 1]!, bytes[i]!], i);
}
