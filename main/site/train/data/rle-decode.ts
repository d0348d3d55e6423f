// RLE Lossless (PS3.5 Annex G): a 64-byte header of up to 15 segment offsets, each segment a PackBits
// stream of one byte plane, most significant byte first, one sample after another.
import { TrainError } from '../errors.ts';

/** Decodes one frame into samples interleaved per pixel (R G B R G B …), as little-endian bytes per value. */
export function decodeRleFrame(
  frame: Uint8Array,
  rows: number,
  columns: number,
  samples: number,
  bitsAllocated: number,
): Uint8Array {
  const bytesPerValue = bitsAllocated / 8;
  const pixels = rows * columns;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 64)
    throw new TrainError('corrupt-pixel-data', 'The RLE frame is shorter than its header.');
  const segments = view.getUint32(0, true);
  if (segments !== samples * bytesPerValue) {
    throw new TrainError(
      'corrupt-pixel-data',
      `The RLE frame has ${segments} segments where ${samples * bytesPerValue} were expected.`,
    );
  }
  const out = new Uint8Array(pixels * samples * bytesPerValue);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + s * 4, true);
    const end = s + 1 < segments ? view.getUint32(8 + s * 4, true) : frame.length;
    unpackBits(frame.subarray(start, end), plane);
    // Segment s holds byte (bytesPerValue − 1 − s % bytesPerValue) of sample ⌊s / bytesPerValue⌋.
    const sample = Math.floor(s / bytesPerValue);
    const byte = bytesPerValue - 1 - (s % bytesPerValue);
    const stride = samples * bytesPerValue;
    for (let i = 0, o = sample * bytesPerValue + byte; i < pixels; i++, o += stride) out[o] = plane[i]!;
  }
  return out;
}

/** PackBits (G.3.1): n ≥ 0 copies n + 1 bytes, n < 0 repeats the next byte 1 − n times, −128 is a no-op. */
function unpackBits(input: Uint8Array, out: Uint8Array): void {
  let i = 0;
  let o = 0;
  while (o < out.length && i < input.length) {
    const n = (input[i++]! << 24) >> 24;
    if (n >= 0) {
      const count = Math.min(n + 1, out.length - o, input.length - i);
      out.set(input.subarray(i, i + count), o);
      i += n + 1;
      o += count;
    } else if (n !== -128) {
      const count = Math.min(1 - n, out.length - o);
      out.fill(input[i++]!, o, o + count);
      o += count;
    }
  }
  if (o < out.length)
    throw new TrainError('corrupt-pixel-data', 'An RLE segment ends before its image does.');
}
