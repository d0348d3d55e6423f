// Precomputed unit-normal noise. Drawing a fresh random number for each of 2,000 x 512 x 512 pixels
// would dominate generation time; reading a seeded table from a random start per image is ~free and
// still looks like noise (the period, 2^20 samples, is longer than a 512 x 512 image).
import { Prng } from './prng.ts';

const NOISE_BITS = 20;
export const NOISE_MASK = (1 << NOISE_BITS) - 1;

export class NoiseTable {
  readonly values: Float32Array;

  constructor(seed: number) {
    const prng = new Prng(seed, 0x4e015e);
    this.values = new Float32Array(1 << NOISE_BITS);
    for (let i = 0; i < this.values.length; i++) this.values[i] = prng.normal();
  }

  /** A start offset for one image, from that image's own generator. */
  static offset(prng: Prng): number {
    return prng.nextUint32() & NOISE_MASK;
  }
}
