// Finds removed values in the output header bytes with native substring search, one needle at a time.
// One case-insensitive regular expression alternating over a hundred needles (what free-text cleaning
// uses) costs milliseconds per file when run on every attribute; indexOf over the header once per
// needle costs microseconds, and hits are rare, so only they are mapped back to attributes.

/** Latin-1 upper case that keeps every character in place (String#toUpperCase turns ß into SS). */
export function upperLatin1(bytes: Uint8Array): string {
  const upper = Buffer.from(bytes);
  for (let i = 0; i < upper.length; i++) {
    const c = upper[i] as number;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0xe0 && c <= 0xfe && c !== 0xf7)) upper[i] = c - 0x20;
  }
  return upper.toString('latin1');
}

const isWordCode = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0xc0 && c <= 0xff && c !== 0xd7 && c !== 0xf7);

export interface NeedleHit {
  at: number;
  length: number;
  kind: string;
  /** Whether a letter or digit stands right before / after the hit (then it is part of a longer word). */
  wordBefore: boolean;
  wordAfter: boolean;
}

/** Whether every needle can be searched for in upper-cased Latin-1 text (all characters below 0x100). */
export const needlesAreLatin1 = (needles: readonly (readonly [string, string])[]): boolean =>
  needles.every(([n]) => [...n].every((c) => c.charCodeAt(0) <= 0xff));

/**
 * Every occurrence of each needle (already upper case) in `text`, by position, with its neighbours
 * classified: the caller decides what counts as a word boundary (the end of an attribute value is one,
 * whatever byte follows it).
 */
export function findNeedles(text: string, needles: readonly (readonly [string, string])[]): NeedleHit[] {
  const hits: NeedleHit[] = [];
  for (const [needle, kind] of needles) {
    let at = text.indexOf(needle);
    while (at !== -1) {
      const end = at + needle.length;
      hits.push({
        at,
        length: needle.length,
        kind,
        wordBefore: at > 0 && isWordCode(text.charCodeAt(at - 1)),
        wordAfter: end < text.length && isWordCode(text.charCodeAt(end)),
      });
      at = text.indexOf(needle, at + 1);
    }
  }
  return hits.sort((a, b) => a.at - b.at);
}
