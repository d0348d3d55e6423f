// Stored pixel values of one frame, for every transfer syntax a hospital is likely to send: native
// (little and big endian, 1 to 32 bits, signed or not, planar or interleaved), RLE, JPEG baseline,
// JPEG lossless, JPEG-LS and JPEG 2000. The values are the stored values (no rescale), as pydicom's
// pixel_array gives them; prepare-image.ts turns them into training input.
import { Tags, type DicomFile } from '../../dicom/index.ts';
import { TrainError } from '../errors.ts';
import { FRAME_DECODERS } from './codecs.ts';
import { encapsulatedFrame } from './encapsulated-frames.ts';
import { readPixelModule, type PixelModule } from './pixel-module.ts';
import { decodeRleFrame } from './rle-decode.ts';

const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

export interface DecodedFrame {
  module: PixelModule;
  rows: number;
  columns: number;
  samples: number;
  /** rows × columns × samples stored values, samples interleaved. */
  values: PixelArray;
  /** The colour model of `values` (a JPEG decoder may have turned YBR into RGB already). */
  photometric: string;
}

export async function decodeFrame(file: DicomFile, frame = 0): Promise<DecodedFrame> {
  const module = readPixelModule(file);
  if (frame < 0 || frame >= module.frames) {
    throw new TrainError(
      'invalid-option',
      `Frame ${frame + 1} does not exist: the image has ${module.frames}.`,
    );
  }
  const element = file.dataset.get(Tags.PixelData);
  if (!element) throw new TrainError('unsupported-pixel-data', 'The file has no Pixel Data (7FE0,0010).');
  const { rows, columns, samplesPerPixel: samples, bitsAllocated } = module;
  const perFrame = rows * columns * samples;
  const uid = file.transferSyntax.uid;
  if (!file.transferSyntax.encapsulated) {
    if (!element.value) throw new TrainError('corrupt-pixel-data', 'The native pixel data has no value.');
    const values = readNative(
      element.value,
      module,
      frame,
      file.transferSyntax.littleEndian,
      element.vr === 'OW',
    );
    const photometric = module.photometric === 'YBR_FULL_422' ? 'YBR_FULL' : module.photometric;
    return { module, rows, columns, samples, values, photometric };
  }
  if (!element.encapsulated)
    throw new TrainError('corrupt-pixel-data', 'The compressed pixel data has no fragments.');
  const compressed = encapsulatedFrame(element.encapsulated, module.frames, frame);
  if (uid === RLE_LOSSLESS) {
    const bytes = decodeRleFrame(compressed, rows, columns, samples, bitsAllocated);
    const values = typedFromLittleEndian(bytes, bitsAllocated, module.pixelRepresentation === 1, perFrame);
    return {
      module,
      rows,
      columns,
      samples,
      values: signExtend(values, module),
      photometric: module.photometric,
    };
  }
  const decoder = FRAME_DECODERS.get(uid);
  if (!decoder) {
    throw new TrainError(
      'unsupported-pixel-data',
      `Pixel data in transfer syntax ${/^\d+(\.\d+)*$/.test(uid) && uid.length <= 64 ? uid : '(a value that is not a UID)'} cannot be decoded: ask the sender for JPEG, JPEG-LS, JPEG 2000, RLE or uncompressed images.`,
    );
  }
  const image = await decoder(compressed);
  if (image.width !== columns || image.height !== rows || image.components !== samples) {
    throw new TrainError(
      'corrupt-pixel-data',
      `The compressed image is ${image.width}×${image.height}×${image.components} but the header says ${columns}×${rows}×${samples}.`,
    );
  }
  const bits = image.bitsPerSample > 8 ? 16 : 8;
  const values = typedFromLittleEndian(image.bytes, bits, module.pixelRepresentation === 1, perFrame);
  const photometric = image.convertedToRgb ? 'RGB' : module.photometric;
  return { module, rows, columns, samples, values: signExtend(values, module), photometric };
}

function typedFromLittleEndian(bytes: Uint8Array, bits: number, signed: boolean, count: number): PixelArray {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const b = aligned.buffer;
  const o = aligned.byteOffset;
  if (bits === 8) return signed ? new Int8Array(b, o, count) : new Uint8Array(b, o, count);
  if (bits === 16) return signed ? new Int16Array(b, o, count) : new Uint16Array(b, o, count);
  if (bits === 32) return signed ? new Int32Array(b, o, count) : new Uint32Array(b, o, count);
  throw new TrainError('unsupported-pixel-data', `Bits Allocated ${bits} is not supported.`);
}

function readNative(
  raw: Uint8Array,
  m: PixelModule,
  frame: number,
  littleEndian: boolean,
  isOw: boolean,
): PixelArray {
  const perFrame = m.rows * m.columns * m.samplesPerPixel;
  if (m.bitsAllocated === 1) return unpackOneBit(raw, perFrame, frame);
  if (m.photometric === 'YBR_FULL_422' && m.bitsAllocated === 8 && m.samplesPerPixel === 3) {
    return expandYbr422(raw, m, frame);
  }
  const bytesPer = m.bitsAllocated / 8;
  const start = frame * perFrame * bytesPer;
  if (!Number.isInteger(bytesPer) || start + perFrame * bytesPer > raw.length) {
    throw new TrainError(
      'corrupt-pixel-data',
      `The pixel data is shorter than ${m.frames} frame(s) of ${m.rows}×${m.columns}.`,
    );
  }
  let bytes: Uint8Array = raw.slice(start, start + perFrame * bytesPer);
  if (!littleEndian) bytes = toLittleEndian(bytes, isOw && bytesPer === 1 ? 2 : bytesPer);
  let values = typedFromLittleEndian(bytes, m.bitsAllocated, m.pixelRepresentation === 1, perFrame);
  if (m.planarConfiguration === 1 && m.samplesPerPixel > 1) values = interleave(values, m.samplesPerPixel);
  return signExtend(values, m);
}

/**
 * Native YBR_FULL_422 (PS3.3 C.7.6.3.1.2): each pair of pixels is stored Y1 Y2 Cb Cr; the chroma is
 * repeated for both, giving YBR_FULL.
 */
function expandYbr422(raw: Uint8Array, m: PixelModule, frame: number): Uint8Array {
  const pixels = m.rows * m.columns;
  const start = frame * pixels * 2;
  if (start + pixels * 2 > raw.length) {
    throw new TrainError(
      'corrupt-pixel-data',
      `The pixel data is shorter than ${m.frames} frame(s) of ${m.rows}×${m.columns}.`,
    );
  }
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, p = start; i < pixels; i += 2, p += 4) {
    const cb = raw[p + 2]!;
    const cr = raw[p + 3]!;
    out.set([raw[p]!, cb, cr], i * 3);
    if (i + 1 < pixels) out.set([raw[p + 1]!, cb, cr], (i + 1) * 3);
  }
  return out;
}

/** Big-endian words to little-endian (8-bit data in OW words is swapped in pairs: PS3.5 Annex D). */
function toLittleEndian(bytes: Uint8Array, width: number): Uint8Array {
  if (width === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k]!;
  }
  return out;
}

function unpackOneBit(raw: Uint8Array, count: number, frame: number): Uint8Array {
  const out = new Uint8Array(count);
  const first = frame * count;
  for (let i = 0; i < count; i++) {
    const bit = first + i;
    out[i] = (raw[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

function interleave(values: PixelArray, samples: number): PixelArray {
  const out = new (values.constructor as new (n: number) => PixelArray)(values.length);
  const plane = values.length / samples;
  for (let s = 0; s < samples; s++)
    for (let i = 0; i < plane; i++) out[i * samples + s] = values[s * plane + i]!;
  return out;
}

/** Signed values stored in fewer bits than allocated carry their sign in bit BitsStored − 1. */
function signExtend(values: PixelArray, m: PixelModule): PixelArray {
  if (m.pixelRepresentation !== 1 || m.bitsStored >= m.bitsAllocated || m.bitsAllocated > 32) return values;
  const shift = 32 - m.bitsStored;
  for (let i = 0; i < values.length; i++) values[i] = (values[i]! << shift) >> shift;
  return values;
}
