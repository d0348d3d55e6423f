// A seeded fuzz corpus: mutations of valid DICOM files of the kinds that break parsers in the field
// (truncations, wrong and huge declared lengths, deep nesting, flipped bytes). Deterministic, so a
// failing case can be reproduced from its seed and index.

export type MutationKind =
  'truncate' | 'wrong-length' | 'huge-length' | 'flip-bytes' | 'splice' | 'deep-nesting';

export interface Mutation {
  kind: MutationKind;
  /** Which base file (index into the list given) and which mutation of it. */
  base: number;
  index: number;
  bytes: Uint8Array;
}

/** Small, fast, seeded PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS: MutationKind[] = ['truncate', 'wrong-length', 'huge-length', 'flip-bytes', 'splice'];

export function* mutateCorpus(
  bases: readonly Uint8Array[],
  count: number,
  seed: number,
): Generator<Mutation> {
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  for (let index = 0; index < count; index++) {
    const base = index % bases.length;
    const source = bases[base] as Uint8Array;
    const kind = KINDS[pick(KINDS.length)] as MutationKind;
    yield { kind, base, index, bytes: mutate(source, kind, pick) };
  }
}

function mutate(source: Uint8Array, kind: MutationKind, pick: (n: number) => number): Uint8Array {
  // Mutations aim at the header (the first 4 KiB hold most elements), where parsers go wrong.
  const headerEnd = Math.min(source.length, 4096);
  switch (kind) {
    case 'truncate':
      return source.slice(0, pick(source.length));
    case 'wrong-length':
    case 'huge-length': {
      const bytes = source.slice();
      const view = new DataView(bytes.buffer);
      const at = 132 + pick(Math.max(1, headerEnd - 140));
      if (kind === 'huge-length') view.setUint32(at, 0xfffffff0 - pick(256), true);
      else view.setUint16(at, pick(0x10000), true);
      return bytes;
    }
    case 'flip-bytes': {
      const bytes = source.slice();
      const flips = 1 + pick(16);
      for (let i = 0; i < flips; i++) bytes[pick(headerEnd)] = pick(256);
      return bytes;
    }
    case 'splice': {
      // Repeat a slice of the header in place: duplicated tags, broken item structure.
      const from = pick(headerEnd);
      const length = 1 + pick(64);
      const at = pick(headerEnd);
      const piece = source.subarray(from, from + length);
      const bytes = new Uint8Array(source.length + piece.length);
      bytes.set(source.subarray(0, at), 0);
      bytes.set(piece, at);
      bytes.set(source.subarray(at), at + piece.length);
      return bytes;
    }
    default:
      return source;
  }
}

/**
 * An Explicit VR Little Endian Part 10 file whose data set is a sequence nested `depth` levels deep
 * (undefined lengths), the shape that overflows recursive parsers.
 */
export function deeplyNestedFile(depth: number): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (v: number) => {
    u16(v & 0xffff);
    u16(v >>> 16);
  };
  const preamble = new Array<number>(128).fill(0);
  parts.push(...preamble, 0x44, 0x49, 0x43, 0x4d);
  const tsUid = '1.2.840.10008.1.2.1\0';
  // (0002,0010) UI transfer syntax, (0002,0000) group length first
  const metaLength = 8 + tsUid.length;
  u16(0x0002);
  u16(0x0000);
  parts.push(0x55, 0x4c);
  u16(4);
  u32(metaLength);
  u16(0x0002);
  u16(0x0010);
  parts.push(0x55, 0x49);
  u16(tsUid.length);
  for (const c of tsUid) parts.push(c.charCodeAt(0));
  for (let level = 0; level < depth; level++) {
    u16(0x0040);
    u16(0xa730);
    parts.push(0x53, 0x51, 0, 0);
    u32(0xffffffff); // Content Sequence, undefined length
    u16(0xfffe);
    u16(0xe000);
    u32(0xffffffff); // item, undefined length
  }
  for (let level = 0; level < depth; level++) {
    u16(0xfffe);
    u16(0xe00d);
    u32(0); // item delimiter
    u16(0xfffe);
    u16(0xe0dd);
    u32(0); // sequence delimiter
  }
  return Uint8Array.from(parts);
}
