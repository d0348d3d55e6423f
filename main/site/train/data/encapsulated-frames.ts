// Frames of encapsulated pixel data (PS3.5 A.4): a Basic Offset Table item, then fragments. One
// frame may span several fragments; the offset table (or, without one, the frame count, or JPEG's
// end-of-image marker) says which belong together.
import { TrainError } from '../errors.ts';

const ITEM = 0xfffee000;
const SEQUENCE_DELIMITER = 0xfffee0dd;

interface Fragment {
  /** Offset of the item tag from the first fragment's item tag (what the offset table counts). */
  offset: number;
  bytes: Uint8Array;
}

function readItems(encapsulated: Uint8Array): { table: Uint8Array; fragments: Fragment[] } {
  const view = new DataView(encapsulated.buffer, encapsulated.byteOffset, encapsulated.byteLength);
  const items: { at: number; bytes: Uint8Array }[] = [];
  let p = 0;
  while (p + 8 <= encapsulated.length) {
    const tag = ((view.getUint16(p, true) << 16) | view.getUint16(p + 2, true)) >>> 0;
    const length = view.getUint32(p + 4, true);
    if (tag === SEQUENCE_DELIMITER) break;
    if (tag !== ITEM || p + 8 + length > encapsulated.length) {
      throw new TrainError(
        'corrupt-pixel-data',
        `The encapsulated pixel data is damaged at byte ${p}: re-export the file.`,
      );
    }
    items.push({ at: p, bytes: encapsulated.subarray(p + 8, p + 8 + length) });
    p += 8 + length;
  }
  const [table, ...rest] = items;
  if (!table)
    throw new TrainError(
      'corrupt-pixel-data',
      'The encapsulated pixel data has no items: re-export the file.',
    );
  const base = rest[0]?.at ?? 0;
  return { table: table.bytes, fragments: rest.map((f) => ({ offset: f.at - base, bytes: f.bytes })) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function endsWithEoi(bytes: Uint8Array): boolean {
  // Fragments are padded to even length, so the marker may be followed by one zero byte.
  for (let i = bytes.length - 1; i >= Math.max(1, bytes.length - 3); i--) {
    if (bytes[i - 1] === 0xff && bytes[i] === 0xd9) return true;
  }
  return false;
}

/** The compressed bytes of frame `index` (0-based) of `frames`. */
export function encapsulatedFrame(encapsulated: Uint8Array, frames: number, index: number): Uint8Array {
  const { table, fragments } = readItems(encapsulated);
  if (fragments.length === 0)
    throw new TrainError('corrupt-pixel-data', 'The encapsulated pixel data has no fragments.');
  if (frames === 1) return concat(fragments.map((f) => f.bytes));
  if (table.length >= 4 * frames) {
    const offsets = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const start = offsets.getUint32(index * 4, true);
    const end = index + 1 < frames ? offsets.getUint32((index + 1) * 4, true) : Infinity;
    return concat(fragments.filter((f) => f.offset >= start && f.offset < end).map((f) => f.bytes));
  }
  if (fragments.length === frames) return fragments[index]!.bytes;
  // No offset table and more fragments than frames: JPEG frames end with an EOI marker.
  const grouped: Uint8Array[][] = [[]];
  for (const f of fragments) {
    grouped[grouped.length - 1]!.push(f.bytes);
    if (endsWithEoi(f.bytes)) grouped.push([]);
  }
  const frame = grouped[index];
  if (!frame || frame.length === 0) {
    throw new TrainError(
      'corrupt-pixel-data',
      `Frame ${index + 1} of ${frames} cannot be found in the fragments.`,
    );
  }
  return concat(frame);
}
