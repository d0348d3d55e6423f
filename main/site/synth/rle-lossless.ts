// RLE Lossless encoding (transfer syntax 1.2.840.10008.1.2.5), PS3.5 Annex G. Our own small encoder,
// because no maintained JavaScript package encodes DICOM RLE (the Cornerstone codecs and dcmjs only
// decode it), and the format is small enough to write and check against pydicom's decoder.

/**
 * One frame: the 64-byte RLE header, then one segment per byte plane, most significant byte first
 * (G.2): a 16-bit image has two segments, high bytes then low bytes. Each row is PackBits-encoded on
 * its own (G.3.1: runs do not cross a row boundary); each segment is padded to an even length.
 */
export function encodeRleFrame(
  pixels: Uint8Array | Uint16Array | Int16Array,
  rows: number,
  columns: number,
): Uint8Array {
  const bytesPerSample = pixels.BYTES_PER_ELEMENT;
  if (pixels.length !== rows * columns) {
    throw new RangeError(`RLE frame has ${pixels.length} samples, expected ${rows} x ${columns}`);
  }
  const planes: Uint8Array[] = [];
  const raw = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  for (let b = bytesPerSample - 1; b >= 0; b--) {
    // Byte b of each little-endian sample (the machine order of typed arrays on every Node platform we run).
    const plane = new Uint8Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) plane[i] = raw[i * bytesPerSample + b]!;
    planes.push(plane);
  }
  const segments = planes.map((plane) => packBitsRows(plane, rows, columns));
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((segment, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += segment.length;
  });
  const frame = new Uint8Array(offset);
  frame.set(header, 0);
  let at = 64;
  for (const segment of segments) {
    frame.set(segment, at);
    at += segment.length;
  }
  return frame;
}

/** PackBits (G.3.1) over each row of one byte plane; the result is padded to an even length. */
export function packBitsRows(plane: Uint8Array, rows: number, columns: number): Uint8Array {
  // Worst case: one header byte per 128 literal bytes.
  const out = new Uint8Array(rows * (columns + Math.ceil(columns / 128)) + 1);
  let o = 0;
  for (let row = 0; row < rows; row++) {
    const end = (row + 1) * columns;
    let i = row * columns;
    while (i < end) {
      let run = 1;
      while (i + run < end && run < 128 && plane[i + run] === plane[i]) run++;
      if (run >= 3) {
        out[o++] = 257 - run; // -(run - 1) as a signed byte: repeat the next byte `run` times
        out[o++] = plane[i]!;
        i += run;
        continue;
      }
      // Literal run: up to 128 bytes, stopping where a replicate run of 3 or more begins.
      let j = i;
      while (j < end && j - i < 128) {
        if (j + 2 < end && plane[j] === plane[j + 1] && plane[j] === plane[j + 2]) break;
        j++;
      }
      out[o++] = j - i - 1;
      out.set(plane.subarray(i, j), o);
      o += j - i;
      i = j;
    }
  }
  if (o % 2 === 1) out[o++] = 0; // pad byte; decoders stop at the expected sample count
  return out.slice(0, o);
}

/**
 * The value of an encapsulated Pixel Data element (PS3.5 A.4), as the DICOM model keeps it: an empty
 * Basic Offset Table item, one fragment per frame, then the sequence delimiter. Always little endian.
 */
export function encapsulateFrames(frames: Uint8Array[]): Uint8Array {
  const padded = frames.map((f) => f.length + (f.length % 2));
  const total = 8 + padded.reduce((sum, n) => sum + 8 + n, 0) + 8;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const itemTag = (at: number, length: number, element = 0xe000): void => {
    view.setUint16(at, 0xfffe, true);
    view.setUint16(at + 2, element, true);
    view.setUint32(at + 4, length, true);
  };
  itemTag(0, 0); // empty Basic Offset Table: allowed for single-frame images (A.4)
  let at = 8;
  frames.forEach((frame, i) => {
    itemTag(at, padded[i]!);
    out.set(frame, at + 8);
    at += 8 + padded[i]!;
  });
  itemTag(at, 0, 0xe0dd);
  return out;
}

/**
 * Decodes one RLE frame back to byte planes interleaved as little-endian samples (G.3.2, G.5):
 * the tests use it to compare what pydicom decodes with what was encoded.
 */
export function decodeRleFrame(frame: Uint8Array, samples: number, bytesPerSample: number): Uint8Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== bytesPerSample)
    throw new RangeError(`RLE frame has ${segments} segments, expected ${bytesPerSample}`);
  const out = new Uint8Array(samples * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    const byteInSample = bytesPerSample - 1 - s; // segment 0 holds the most significant bytes
    let i = start;
    let n = 0;
    const put = (b: number): void => {
      if (n < samples) out[n * bytesPerSample + byteInSample] = b;
      n++;
    };
    while (i < end && n < samples) {
      const header = frame[i++]!;
      if (header < 128) {
        for (let k = 0; k <= header; k++) put(frame[i++]!);
      } else if (header > 128) {
        const b = frame[i++]!;
        for (let k = 0; k < 257 - header; k++) put(b);
      }
    }
    if (n < samples) throw new RangeError(`RLE segment ${s} ends after ${n} of ${samples} samples`);
  }
  return out;
}
