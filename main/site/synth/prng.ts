// A small seeded PRNG (sfc32, seeded through splitmix32), so that a seed gives the same studies,
// byte for byte, on every machine and Node version. Math.random cannot be seeded.

/** Mixes 32-bit words into one well-spread 32-bit seed (splitmix32 finaliser over each word). */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const word of words) {
    h = Math.imul(h ^ (word >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = (h + 0x6d2b79f5) >>> 0;
  }
  return h;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator for one named stream: `new Prng(seed, site, patient)` never overlaps `new Prng(seed, site)`. */
  constructor(...words: number[]) {
    this.a = mixSeed(...words, 1);
    this.b = mixSeed(...words, 2);
    this.c = mixSeed(...words, 3);
    this.d = 1;
    // Discard the first outputs: sfc32 needs a few rounds to spread a seed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer uniform in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick() needs a non-empty list');
    return item;
  }

  /** A string of `count` decimal digits (leading zeros allowed). */
  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(this.nextUint32() % 10);
    return out;
  }

  /** Approximately standard normal (Irwin–Hall with 4 terms): cheap, bounded, good enough for noise. */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * Math.sqrt(3);
  }
}
