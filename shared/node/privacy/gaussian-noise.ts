// Gaussian noise from the operating system's cryptographic generator (crypto.randomBytes), never
// Math.random: the noise is what hides a site's update, so whoever can predict it can remove it.
// Uniform doubles with 53 random bits each, turned into normal pairs by the Box–Muller transform.
import { randomBytes } from 'node:crypto';

/** Something that fills an array with standard normal values (tests may pass a seeded one). */
export type GaussianSource = (count: number) => Float64Array;

const TWO_POW_53 = 2 ** 53;
const BYTES_PER_BLOCK = 64 * 1024;

/** Uniform doubles in (0, 1], 53 random bits each (0 is excluded so that log() stays finite). */
function uniforms(count: number): Float64Array {
  const out = new Float64Array(count);
  let filled = 0;
  while (filled < count) {
    const take = Math.min(count - filled, BYTES_PER_BLOCK / 8);
    const bytes = randomBytes(take * 8);
    for (let i = 0; i < take; i += 1) {
      const high = bytes.readUInt32LE(i * 8) >>> 5; // 27 bits
      const low = bytes.readUInt32LE(i * 8 + 4) >>> 6; // 26 bits
      out[filled + i] = (high * 2 ** 26 + low + 1) / TWO_POW_53;
    }
    filled += take;
  }
  return out;
}

/** `count` independent standard normal values from the cryptographic generator. */
export const cryptoGaussian: GaussianSource = (count) => {
  const u = uniforms(count + (count % 2));
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(u[i] as number));
    const angle = 2 * Math.PI * (u[i + 1] as number);
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
};
