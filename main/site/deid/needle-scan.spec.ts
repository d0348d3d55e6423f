import { describe, expect, it } from 'vitest';
import { findNeedles, needlesAreLatin1, upperLatin1, type NeedleHit } from './needle-scan.ts';

/** The plain definition: indexOf of every needle in the upper-cased text, hits ordered by position. */
function reference(bytes: Uint8Array, needles: readonly (readonly [string, string])[]): NeedleHit[] {
  const text = upperLatin1(bytes);
  const word = (c: number) =>
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0xc0 && c <= 0xff && c !== 0xd7 && c !== 0xf7);
  const hits: NeedleHit[] = [];
  for (const [needle, kind] of needles) {
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      const end = at + needle.length;
      hits.push({
        at,
        length: needle.length,
        kind,
        wordBefore: at > 0 && word(text.charCodeAt(at - 1)),
        wordAfter: end < text.length && word(text.charCodeAt(end)),
      });
    }
  }
  return hits.sort((a, b) => a.at - b.at);
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('needle scan', () => {
  it('finds names case-insensitively, with overlapping and nested needles in needle order', () => {
    const bytes = latin1('\0\0Dr smith-SMITHERSON^anna 19420928; scanner ANNA 1942.');
    const needles = [
      ['SMITHERSON', 'patient name component'],
      ['SMITH', 'person name component'],
      ['ANNA', 'patient name component'],
      ['ANN', 'person name component'],
      ['19420928', 'birth date'],
      ['NN', 'two letters'],
    ] as const;
    const hits = findNeedles(bytes, needles);
    expect(hits).toEqual(reference(bytes, needles));
    expect(hits.map((h) => `${h.at}:${h.kind}`).slice(0, 3)).toEqual([
      '5:person name component',
      '11:patient name component',
      '11:person name component',
    ]);
  });

  it('upper-cases Latin-1 letters in place (é finds É, ß stays ß) and treats them as word characters', () => {
    const bytes = latin1('x\u00e9lodie\u00df \u00c9LODIE');
    const needles = [['\u00c9LODIE', 'patient name component']] as const;
    const hits = findNeedles(bytes, needles);
    expect(hits).toEqual(reference(bytes, needles));
    expect(hits.map((h) => [h.at, h.wordBefore, h.wordAfter])).toEqual([
      [1, true, true],
      [9, false, false],
    ]);
    // A one-character needle (RemovedValues never makes one) is still found, by the plain search.
    const withShort = [...needles, ['\u00df', 'one character']] as const;
    expect(findNeedles(bytes, withShort)).toEqual(reference(bytes, withShort));
    expect(findNeedles(bytes, withShort)).toHaveLength(3);
  });

  it('gives the same hits as indexOf on random bytes and random needles', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = 'abAB12 .^\u00e9\u00c9\u00ff\u00df\u0000';
    for (let round = 0; round < 200; round++) {
      const bytes = latin1(
        Array.from({ length: random(300) }, () => alphabet[random(alphabet.length)]).join(''),
      );
      const needles = Array.from({ length: 1 + random(12) }, (_, i) => {
        const length = 2 + random(4);
        const text = Array.from({ length }, () => alphabet[random(alphabet.length)]).join('');
        return [upperLatin1(latin1(text)), `kind ${i}`] as const;
      });
      expect(findNeedles(bytes, needles)).toEqual(reference(bytes, needles));
    }
  });

  it('tells needles outside Latin-1 apart (they take the attribute-by-attribute scan)', () => {
    expect(needlesAreLatin1([['M\u00dcLLER', 'patient name component']])).toBe(true);
    expect(needlesAreLatin1([['\u0141UKASZ', 'patient name component']])).toBe(false);
  });
});
