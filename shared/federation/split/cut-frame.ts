// The binary frame that carries one tensor across a cut in split learning: activations up and
// gradients down, once per training step. A fixed little-endian header says what the tensor is and
// for which step (so a retried frame can be recognised and a late one refused), then the values in
// float32, float16 or int8. Runs anywhere (site, hub, renderer): no Node imports.
//
//   0  4  magic "RFCF" (RadFed cut frame)     8 16  session id (16 bytes)
//   4  1  format version (1)                 24  4  step (u32)
//   5  1  kind (see CUT_FRAME_KINDS)         28  4  batch id (u32)
//   6  1  dtype (float32 1, float16 2, int8 3)  32 4·rank  shape (u32 each)
//   7  1  rank (1 to 6)                      then, for float16 and int8, a scale (float32), then the values
//
// The scale makes float16 and int8 independent of the tensor's magnitude: the gradients at a cut are
// often near 1e-6, where plain float16 is subnormal or zero (the reason mixed-precision training scales
// its loss). float16 stores v / s with s a power of two putting max |v| near 2¹⁴ (exact, and far from
// float16's 65504); int8 stores round(v / s) with s = max |v| / 127.
import { RadfedError } from '../../errors.ts';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../float16.ts';

export type CutFrameErrorCode = 'bad-frame' | 'frame-too-large' | 'not-finite';

export class CutFrameError extends RadfedError<CutFrameErrorCode> {
  override readonly name = 'CutFrameError';
}

/** What crosses a cut, in the order of one U-shaped step. */
export const CUT_FRAME_KINDS = [
  'cut1-activations', // site → hub: the bottom's output
  'cut2-activations', // hub → site: the trunk's output
  'cut2-gradient', // site → hub: the loss's gradient at the trunk's output
  'cut1-gradient', // hub → site: the gradient at the bottom's output
  // The evaluation exchange (appended: the kinds above keep their byte values): the site's held-back
  // images through the trunk in inference, no step opened and nothing updated (the hijack check).
  'cut1-evaluation', // site → hub: the bottom's output on held-back images
  'cut2-evaluation', // hub → site: the trunk's output on them
] as const;
export type CutFrameKind = (typeof CUT_FRAME_KINDS)[number];

export const CUT_FRAME_DTYPES = ['float32', 'float16', 'int8'] as const;
export type CutFrameDtype = (typeof CUT_FRAME_DTYPES)[number];

export interface CutFrameHeader {
  readonly kind: CutFrameKind;
  /** The site's session with the hub: 32 lowercase hexadecimal digits. */
  readonly session: string;
  /** The training step within the session; a retry repeats it. */
  readonly step: number;
  /** The batch the step trains on, in the site's own numbering (never an image's identity). */
  readonly batch: number;
  readonly shape: readonly number[];
  readonly dtype: CutFrameDtype;
}

export interface CutFrame {
  readonly header: CutFrameHeader;
  readonly values: Float32Array;
}

export const CUT_FRAME_VERSION = 1;
const MAGIC = [0x52, 0x46, 0x43, 0x46]; // "RFCF"
const FIXED_HEADER_BYTES = 32;
const MAX_RANK = 6;
/**
 * The most values a frame may hold unless the caller sets its own bound: 16 Mi (32 MiB in float16),
 * far above a batch of 64 images of 128 pixels at cut 1 of resnet-small (2 Mi values).
 */
export const DEFAULT_MAX_FRAME_VALUES = 16 * 1024 * 1024;
const BYTES_PER_VALUE: Record<CutFrameDtype, number> = { float32: 4, float16: 2, int8: 1 };
const INT8_LIMIT = 127;
/** float16 frames scale max |v| to at most 2^14: below float16's largest power of two, 2^15. */
const FLOAT16_TOP_EXPONENT = 14;

/** The frame's bytes. Refuses values that are not finite. */
export function encodeCutFrame(
  header: CutFrameHeader,
  values: Float32Array,
  options: { maxValues?: number } = {},
): Uint8Array {
  checkHeader(header);
  const count = valueCount(header.shape, options.maxValues ?? DEFAULT_MAX_FRAME_VALUES);
  if (values.length !== count) {
    throw new CutFrameError(
      'bad-frame',
      `A ${header.kind} frame of shape [${header.shape.join(', ')}] holds ${count} values, but ${values.length} were given.`,
    );
  }
  let maxAbs = 0;
  for (const value of values) {
    if (!Number.isFinite(value)) throw notFinite(header.kind, 'to send');
    maxAbs = Math.max(maxAbs, Math.abs(value));
  }
  const scaleBytes = header.dtype === 'float32' ? 0 : 4;
  const start = FIXED_HEADER_BYTES + 4 * header.shape.length + scaleBytes;
  const bytes = new Uint8Array(start + count * BYTES_PER_VALUE[header.dtype]);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint8(4, CUT_FRAME_VERSION);
  view.setUint8(5, CUT_FRAME_KINDS.indexOf(header.kind) + 1);
  view.setUint8(6, CUT_FRAME_DTYPES.indexOf(header.dtype) + 1);
  view.setUint8(7, header.shape.length);
  for (let i = 0; i < 16; i++) view.setUint8(8 + i, parseInt(header.session.slice(2 * i, 2 * i + 2), 16));
  view.setUint32(24, header.step, true);
  view.setUint32(28, header.batch, true);
  header.shape.forEach((size, i) => view.setUint32(FIXED_HEADER_BYTES + 4 * i, size, true));
  if (header.dtype === 'float32') {
    values.forEach((value, i) => view.setFloat32(start + 4 * i, value, true));
  } else if (header.dtype === 'float16') {
    const scale = maxAbs === 0 ? 1 : 2 ** (Math.ceil(Math.log2(maxAbs)) - FLOAT16_TOP_EXPONENT);
    view.setFloat32(start - 4, scale, true);
    const scaled = values.map((value) => value / scale);
    float32ArrayToFloat16(scaled).forEach((half, i) => view.setUint16(start + 2 * i, half, true));
  } else {
    // Symmetric per-frame quantisation: q = round(v / s), s = max |v| / 127, so 0 stays exactly 0.
    const scale = maxAbs / INT8_LIMIT;
    view.setFloat32(start - 4, scale, true);
    values.forEach((value, i) => view.setInt8(start + i, scale === 0 ? 0 : Math.round(value / scale)));
  }
  return bytes;
}

/**
 * The frame in `bytes`, its values as float32. Refuses, with a sentence, anything that is not a whole
 * well-formed frame: another format or version, an unknown kind or dtype, a shape with a zero, more
 * than `maxValues` values, a length that disagrees with the shape, and values that are not finite.
 */
export function decodeCutFrame(bytes: Uint8Array, options: { maxValues?: number } = {}): CutFrame {
  const { header, start, count } = readHeader(bytes, options);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { header, values: readValues(view, start, count, header.dtype, header.kind) };
}

/**
 * The frame's header alone, checked as `decodeCutFrame` checks it (the length included), without
 * reading the values: what a router needs (the hub's session reads kind, session and step, and the
 * trunk decodes the values once).
 */
export function decodeCutFrameHeader(
  bytes: Uint8Array,
  options: { maxValues?: number } = {},
): CutFrameHeader {
  return readHeader(bytes, options).header;
}

function readHeader(
  bytes: Uint8Array,
  options: { maxValues?: number },
): { header: CutFrameHeader; start: number; count: number } {
  if (bytes.length < FIXED_HEADER_BYTES || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new CutFrameError(
      'bad-frame',
      'This is not a split-learning cut frame (no RFCF header): the other side speaks another protocol.',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  if (version !== CUT_FRAME_VERSION) {
    throw new CutFrameError(
      'bad-frame',
      `This cut frame is format version ${version}; this program reads version ${CUT_FRAME_VERSION}. Update the older of the site and the hub.`,
    );
  }
  const kind = CUT_FRAME_KINDS[view.getUint8(5) - 1];
  const dtype = CUT_FRAME_DTYPES[view.getUint8(6) - 1];
  if (!kind || !dtype) {
    throw new CutFrameError('bad-frame', 'This cut frame names an unknown kind or value type.');
  }
  const rank = view.getUint8(7);
  if (rank < 1 || rank > MAX_RANK) {
    throw new CutFrameError('bad-frame', `A cut frame's shape has 1 to ${MAX_RANK} axes, not ${rank}.`);
  }
  const scaleBytes = dtype === 'float32' ? 0 : 4;
  const start = FIXED_HEADER_BYTES + 4 * rank + scaleBytes;
  if (bytes.length < start) throw truncated(kind, bytes.length, start);
  let session = '';
  for (let i = 0; i < 16; i++)
    session += view
      .getUint8(8 + i)
      .toString(16)
      .padStart(2, '0');
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(FIXED_HEADER_BYTES + 4 * i, true));
  const count = valueCount(shape, options.maxValues ?? DEFAULT_MAX_FRAME_VALUES);
  const expected = start + count * BYTES_PER_VALUE[dtype];
  if (bytes.length !== expected) throw truncated(kind, bytes.length, expected);
  const header: CutFrameHeader = {
    kind,
    session,
    step: view.getUint32(24, true),
    batch: view.getUint32(28, true),
    shape,
    dtype,
  };
  return { header, start, count };
}

function readValues(
  view: DataView,
  start: number,
  count: number,
  dtype: CutFrameDtype,
  kind: CutFrameKind,
): Float32Array {
  if (dtype === 'float32') {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const value = view.getFloat32(start + 4 * i, true);
      if (!Number.isFinite(value)) throw notFinite(kind, 'received');
      values[i] = value;
    }
    return values;
  }
  const scale = view.getFloat32(start - 4, true);
  if (!Number.isFinite(scale) || scale < 0) throw notFinite(kind, 'received');
  if (dtype === 'float16') {
    const halves = new Uint16Array(count);
    for (let i = 0; i < count; i++) {
      const bits = view.getUint16(start + 2 * i, true);
      if ((bits & 0x7c00) === 0x7c00) throw notFinite(kind, 'received'); // all-ones exponent: ±∞ or NaN
      halves[i] = bits;
    }
    const values = float16ArrayToFloat32(halves);
    for (let i = 0; i < count; i++) values[i] = values[i]! * scale;
    return refuseOverflow(values, kind);
  }
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getInt8(start + i) * scale;
  return refuseOverflow(values, kind);
}

/**
 * A finite scale can still overflow float32 once applied (a scale of 3e38 times an int8 127 or a float16
 * 65504 is infinity), so the scaled values are checked again: what a frame decodes to is always finite.
 */
function refuseOverflow(values: Float32Array, kind: CutFrameKind): Float32Array {
  for (const value of values) if (!Number.isFinite(value)) throw notFinite(kind, 'received');
  return values;
}

function checkHeader(header: CutFrameHeader): void {
  const problems: string[] = [];
  if (!CUT_FRAME_KINDS.includes(header.kind))
    problems.push(`kind must be one of ${CUT_FRAME_KINDS.join(', ')}`);
  if (!CUT_FRAME_DTYPES.includes(header.dtype))
    problems.push(`dtype must be one of ${CUT_FRAME_DTYPES.join(', ')}`);
  if (!/^[0-9a-f]{32}$/.test(header.session)) problems.push('the session id must be 32 lowercase hex digits');
  for (const [name, value] of [
    ['step', header.step],
    ['batch id', header.batch],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      problems.push(`the ${name} must be a whole number from 0 to 4294967295`);
    }
  }
  if (header.shape.length < 1 || header.shape.length > MAX_RANK) {
    problems.push(`the shape must have 1 to ${MAX_RANK} axes`);
  }
  if (problems.length > 0)
    throw new CutFrameError('bad-frame', `Cannot send this cut frame: ${problems.join('; ')}.`);
}

/** The number of values a shape holds, refused before any allocation when it is above `maxValues`. */
function valueCount(shape: readonly number[], maxValues: number): number {
  let count = 1;
  for (const size of shape) {
    if (!Number.isInteger(size) || size < 1 || size > 0xffffffff) {
      throw new CutFrameError(
        'bad-frame',
        `A cut frame's shape [${shape.join(', ')}] has an axis that is not a whole number of at least 1.`,
      );
    }
    count *= size;
    if (count > maxValues) {
      throw new CutFrameError(
        'frame-too-large',
        `A cut frame of shape [${shape.join(', ')}] would hold more than ${maxValues} values, this side's limit: ` +
          'use a smaller batch or a deeper cut, or raise the limit on both sides.',
      );
    }
  }
  return count;
}

function truncated(kind: CutFrameKind, length: number, expected: number): CutFrameError {
  return new CutFrameError(
    'bad-frame',
    `This ${kind} frame is ${length} bytes, but its header describes ${expected}: it was cut short or padded on the way; send it again.`,
  );
}

function notFinite(kind: CutFrameKind, where: 'to send' | 'received'): CutFrameError {
  return new CutFrameError(
    'not-finite',
    `A ${kind} frame ${where} holds a value that is not a finite number (NaN or infinity): ` +
      'training has diverged; lower the learning rate and start the session again.',
  );
}
