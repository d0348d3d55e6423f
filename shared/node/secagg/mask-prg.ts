// The pseudorandom generator behind every mask: AES-256-CTR keyed by the full 32-byte secret (a
// self-mask seed or a pairwise key), counter from zero. Each key masks one vector in one round, so a
// fixed counter start never repeats a keystream. Words are the keystream read as little-endian uint32.
import { createCipheriv, randomBytes } from 'node:crypto';
import { SecureAggregationError } from './secagg-error.ts';

const CHUNK_WORDS = 1 << 18; // 1 MiB of keystream at a time: bounded memory for 10M-value models
const ZEROS = new Uint8Array(CHUNK_WORDS * 4);

/** Adds (sign +1) or subtracts (sign −1) PRG(key) to `target`, element by element, mod 2³². */
export function applyMaskStream(target: Uint32Array, key: Uint8Array, sign: 1 | -1): void {
  if (key.byteLength !== 32) {
    throw new SecureAggregationError(
      'bad-plan',
      'A mask key must be 32 bytes (the full secret, not a seed).',
    );
  }
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  for (let start = 0; start < target.length; start += CHUNK_WORDS) {
    const count = Math.min(CHUNK_WORDS, target.length - start);
    const words = asWords(cipher.update(ZEROS.subarray(0, count * 4)));
    // Uint32Array assignment reduces mod 2³², so + and − wrap exactly as the protocol needs.
    if (sign === 1)
      for (let i = 0; i < count; i += 1)
        target[start + i] = (target[start + i] as number) + (words[i] as number);
    else
      for (let i = 0; i < count; i += 1)
        target[start + i] = (target[start + i] as number) - (words[i] as number);
  }
}

/** `count` words of PRG(key) (tests and the uniformity check use it). */
export function maskWords(key: Uint8Array, count: number): Uint32Array {
  const out = new Uint32Array(count);
  applyMaskStream(out, key, 1);
  return out;
}

/** Uniform random words from a fresh key: the coin flips of stochastic rounding. */
export function randomWords(count: number): Uint32Array {
  return maskWords(randomBytes(32), count);
}

function asWords(bytes: Buffer): Uint32Array {
  if (bytes.byteOffset % 4 === 0)
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Uint32Array(Uint8Array.from(bytes).buffer);
}
