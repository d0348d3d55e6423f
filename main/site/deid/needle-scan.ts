// Finds removed values in the output header bytes. One case-insensitive regular expression alternating
// over a hundred needles (what free-text cleaning uses) costs milliseconds per file when run on every
// attribute, and even indexOf once per needle costs tens of microseconds per file. Here the header is
// walked once: each position's two bytes (upper-cased) index a table of the needles that start with
// them, so only those are compared. Hits are rare, and only they are mapped back to attributes.

/** Latin-1 upper case that keeps every character in place (String#toUpperCase turns ß into SS). */
const UPPER = new Uint8Array(256);
/** Letters and digits, after upper-casing (ASCII and U+00C0-U+00FF but × and ÷). */
const WORD = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  UPPER[c] = (c >= 0x61 && c <= 0x7a) || (c >= 0xe0 && c <= 0xfe && c !== 0xf7) ? c - 0x20 : c;
  WORD[c] =
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0xc0 && c <= 0xff && c !== 0xd7 && c !== 0xf7)
      ? 1
      : 0;
}

/** Latin-1 upper case of the bytes, as text (one character per byte). */
export function upperLatin1(bytes: Uint8Array): string {
  const upper = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) upper[i] = UPPER[bytes[i] as number] as number;
  return upper.toString('latin1');
}

export interface NeedleHit {
  at: number;
  length: number;
  kind: string;
  /** Whether a letter or digit stands right before / after the hit (then it is part of a longer word). */
  wordBefore: boolean;
  wordAfter: boolean;
}

type Needles = readonly (readonly [string, string])[];

/** Whether every needle can be searched for in upper-cased Latin-1 bytes (all characters below 0x100). */
export function needlesAreLatin1(needles: Needles): boolean {
  for (const [n] of needles) for (let i = 0; i < n.length; i++) if (n.charCodeAt(i) > 0xff) return false;
  return true;
}

/**
 * For each two-byte start, the first needle (index) that begins with it, -1 for none; the other
 * needles with the same start follow in `chain`. Shared by the calls on one thread and left all -1
 * after each, so a call sets and clears only its own needles' entries.
 */
const heads = new Int32Array(65536).fill(-1);

/**
 * Every occurrence of each needle (upper case, Latin-1, two characters or more) in the upper-cased
 * bytes, by position and, at one position, in needle order, with its neighbours classified: the
 * caller decides what counts as a word boundary (the end of an attribute value is one, whatever byte
 * follows it). The same hits as `indexOf` of each needle in `upperLatin1(bytes)`.
 */
export function findNeedles(bytes: Uint8Array, needles: Needles): NeedleHit[] {
  const count = needles.length;
  if (count === 0) return [];
  if (needles.some(([needle]) => needle.length < 2)) return findEach(upperLatin1(bytes), needles);
  const hits: NeedleHit[] = [];
  const chain = new Int32Array(count);
  const keys = new Int32Array(count);
  // Last needle first, so that each chain lists its needles in order.
  for (let k = count - 1; k >= 0; k--) {
    const needle = (needles[k] as readonly [string, string])[0];
    const key = (needle.charCodeAt(0) << 8) | needle.charCodeAt(1);
    keys[k] = key;
    chain[k] = heads[key] as number;
    heads[key] = k;
  }
  const size = bytes.length;
  let next = size > 0 ? (UPPER[bytes[0] as number] as number) : 0;
  for (let at = 0; at + 1 < size; at++) {
    const current = next;
    next = UPPER[bytes[at + 1] as number] as number;
    let k = heads[(current << 8) | next] as number;
    while (k >= 0) {
      const [needle, kind] = needles[k] as readonly [string, string];
      const end = at + needle.length;
      if (end <= size && matchesAt(bytes, at, needle)) {
        hits.push({
          at,
          length: needle.length,
          kind,
          wordBefore: at > 0 && WORD[bytes[at - 1] as number] === 1,
          wordAfter: end < size && WORD[bytes[end] as number] === 1,
        });
      }
      k = chain[k] as number;
    }
  }
  for (let k = 0; k < count; k++) heads[keys[k] as number] = -1;
  return hits;
}

/** Whether the needle stands at `at` (its first two characters are known to match). */
function matchesAt(bytes: Uint8Array, at: number, needle: string): boolean {
  for (let i = 2; i < needle.length; i++) {
    if (UPPER[bytes[at + i] as number] !== needle.charCodeAt(i)) return false;
  }
  return true;
}

/** The plain form, for needles of one character (never made by RemovedValues): indexOf per needle. */
function findEach(text: string, needles: Needles): NeedleHit[] {
  const hits: NeedleHit[] = [];
  const word = (at: number): boolean => WORD[text.charCodeAt(at)] === 1;
  for (const [needle, kind] of needles) {
    if (needle === '') continue;
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      const end = at + needle.length;
      hits.push({
        at,
        length: needle.length,
        kind,
        wordBefore: at > 0 && word(at - 1),
        wordAfter: end < text.length && word(end),
      });
    }
  }
  return hits.sort((a, b) => a.at - b.at);
}
