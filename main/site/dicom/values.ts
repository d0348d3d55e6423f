// Reading and encoding element values. Text is decoded as latin1 so that every byte maps to one
// character and back: a value that is read and written again is byte-identical, whatever its
// Specific Character Set (PS3.5 6.1). Trailing padding (space, NUL: PS3.5 6.2) is stripped.
import { DicomWriteError } from './errors.ts';
import type { DicomDataset, DicomElement, Tag, TransferSyntax, Vr } from './model.ts';
import { padByteOf } from './vr.ts';

function stripTrailing(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x00) break;
    end--;
  }
  return end === s.length ? s : s.slice(0, end);
}

/** Values up to this length are decoded with String.fromCharCode (one builtin call, no Buffer object). */
const SHORT_TEXT = 1024;

/** The whole value as text (latin1), trailing spaces and NULs removed; '' for no value. */
export function readString(el: DicomElement): string {
  const v = el.value;
  if (!v || v.length === 0) return '';
  // Byte n is character n either way (latin1); the short path matters while the code is still cold.
  const text =
    v.length <= SHORT_TEXT
      ? String.fromCharCode.apply(null, v as unknown as number[])
      : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
  return stripTrailing(text);
}

/** The values of a multi-valued text element (split on backslash, PS3.5 6.4), each trimmed at the end. */
export function readStrings(el: DicomElement): string[] {
  const s = readString(el);
  if (s === '') return [];
  return s.split('\\').map(stripTrailing);
}

/** The text of a tag in a data set, or undefined when the tag is absent or not a plain value. */
export function getString(ds: DicomDataset, t: Tag): string | undefined {
  const el = ds.get(t);
  return el?.value ? readString(el) : undefined;
}

/** Text as latin1 bytes, padded to even length (space; NUL for UI). */
export function encodeText(value: string, vr: Vr): Uint8Array {
  const length = value.length; // latin1: one byte per character
  if (length > SHORT_TEXT) {
    const out = Buffer.allocUnsafe(length + (length & 1));
    out.write(value, 0, length, 'latin1');
    if (length & 1) out[length] = padByteOf(vr);
    return out;
  }
  return latin1Bytes(value, length + (length & 1), padByteOf(vr));
}

/**
 * Short text as latin1 bytes in a plain Uint8Array of `size` bytes, the rest filled with `pad`: a
 * Buffer would be built through Node's JavaScript constructor and written by a call into C++, which
 * costs more than this loop for the few dozen characters of a header value. Like Buffer's latin1
 * encoding, each character keeps its low byte.
 */
export function latin1Bytes(text: string, size: number, pad: number): Uint8Array {
  const out = new Uint8Array(size);
  const length = Math.min(text.length, size);
  for (let i = 0; i < length; i++) out[i] = text.charCodeAt(i);
  if (pad !== 0) out.fill(pad, length);
  return out;
}

/** Sets (or replaces) a text element. */
export function setString(ds: DicomDataset, t: Tag, vr: Vr, value: string): void {
  ds.set(t, { tag: t, vr, value: encodeText(value, vr) });
}

const BINARY_WIDTH: Partial<Record<Vr, number>> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, SV: 8, UV: 8 };

/**
 * Numeric values: binary VRs (US SS UL SL FL FD SV UV) in the syntax's byte order, or DS / IS text.
 * Empty text values are skipped; text that is not a number gives NaN (so callers see bad data).
 */
export function readNumbers(el: DicomElement, ts: TransferSyntax): number[] {
  if (el.vr === 'DS' || el.vr === 'IS') {
    return readStrings(el)
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(Number);
  }
  const width = BINARY_WIDTH[el.vr];
  const v = el.value;
  if (width === undefined || !v) return [];
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const le = ts.littleEndian;
  const out: number[] = [];
  for (let p = 0; p + width <= v.length; p += width) {
    switch (el.vr) {
      case 'US':
        out.push(view.getUint16(p, le));
        break;
      case 'SS':
        out.push(view.getInt16(p, le));
        break;
      case 'UL':
        out.push(view.getUint32(p, le));
        break;
      case 'SL':
        out.push(view.getInt32(p, le));
        break;
      case 'FL':
        out.push(view.getFloat32(p, le));
        break;
      case 'FD':
        out.push(view.getFloat64(p, le));
        break;
      case 'SV':
        out.push(Number(view.getBigInt64(p, le)));
        break;
      default:
        out.push(Number(view.getBigUint64(p, le)));
    }
  }
  return out;
}

/** DS allows 16 characters (PS3.5 6.2): the shortest form of the number that fits. */
function formatDecimal(n: number): string {
  if (!Number.isFinite(n))
    throw new DicomWriteError(
      'invalid-value',
      'A DS value must be a finite number: fix the value before writing.',
    );
  let s = String(n);
  for (let digits = 16; s.length > 16 && digits > 0; digits--) s = String(Number(n.toPrecision(digits)));
  return s;
}

/** Encodes numbers for a binary numeric VR in the syntax's byte order, or as DS / IS text. */
export function encodeNumbers(values: number[], vr: Vr, ts: TransferSyntax): Uint8Array {
  if (vr === 'DS') return encodeText(values.map(formatDecimal).join('\\'), vr);
  if (vr === 'IS') {
    if (values.some((n) => !Number.isSafeInteger(n))) {
      throw new DicomWriteError(
        'invalid-value',
        'An IS value must be an integer: round the value before writing.',
      );
    }
    return encodeText(values.join('\\'), vr);
  }
  const width = BINARY_WIDTH[vr];
  if (width === undefined) {
    throw new DicomWriteError('invalid-value', `VR ${vr} is not numeric: use encodeText for text values.`);
  }
  const out = new Uint8Array(values.length * width);
  const view = new DataView(out.buffer);
  const le = ts.littleEndian;
  values.forEach((n, i) => {
    const p = i * width;
    switch (vr) {
      case 'US':
        view.setUint16(p, n, le);
        break;
      case 'SS':
        view.setInt16(p, n, le);
        break;
      case 'UL':
        view.setUint32(p, n, le);
        break;
      case 'SL':
        view.setInt32(p, n, le);
        break;
      case 'FL':
        view.setFloat32(p, n, le);
        break;
      case 'FD':
        view.setFloat64(p, n, le);
        break;
      case 'SV':
        view.setBigInt64(p, BigInt(Math.trunc(n)), le);
        break;
      default:
        view.setBigUint64(p, BigInt(Math.trunc(n)), le);
    }
  });
  return out;
}
