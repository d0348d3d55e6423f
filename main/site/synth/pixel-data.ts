// Pixel Data (7FE0,0010) and Overlay Data (60xx,3000) elements in a file's transfer syntax: native
// values in the syntax's byte order, or RLE Lossless fragments.
import { RLE_LOSSLESS, Tags, type DicomElement, type TransferSyntax } from '../dicom/index.ts';
import { encapsulateFrames, encodeRleFrame } from './rle-lossless.ts';
import { SynthTags } from './synth-tags.ts';

/** Typed arrays hold values in the machine's order, little endian on every platform Node supports here. */
const MACHINE_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export function pixelDataElement(
  pixels: Uint8Array | Uint16Array | Int16Array,
  rows: number,
  columns: number,
  ts: TransferSyntax,
): DicomElement {
  const t = Tags.PixelData;
  if (ts.uid === RLE_LOSSLESS) {
    return { tag: t, vr: 'OB', encapsulated: encapsulateFrames([encodeRleFrame(pixels, rows, columns)]) };
  }
  if (ts.encapsulated) throw new Error(`The generator cannot encode transfer syntax ${ts.uid}`);
  const bytes = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  // 8-bit samples are a byte stream in any order; 16-bit words are swapped for big endian (PS3.5 8.1.1).
  if (pixels.BYTES_PER_ELEMENT === 2 && ts.littleEndian !== MACHINE_IS_LITTLE_ENDIAN) bytes.swap16();
  return { tag: t, vr: pixels.BYTES_PER_ELEMENT === 2 ? 'OW' : 'OB', value: bytes };
}

/**
 * Overlay Data for a rows x columns plane (PS3.3 C.9.2): one bit per pixel, packed into 16-bit words
 * (first pixel in the least significant bit) and written as OW in the syntax's byte order.
 */
export function overlayDataElement(
  rows: number,
  columns: number,
  isSet: (row: number, col: number) => boolean,
  ts: TransferSyntax,
): DicomElement {
  const words = new Uint16Array(Math.ceil((rows * columns) / 16));
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < columns; col++) {
      if (!isSet(row, col)) continue;
      const i = row * columns + col;
      words[i >> 4]! |= 1 << (i & 15);
    }
  }
  const bytes = Buffer.from(words.buffer);
  if (ts.littleEndian !== MACHINE_IS_LITTLE_ENDIAN) bytes.swap16();
  return { tag: SynthTags.OverlayData, vr: 'OW', value: bytes };
}
