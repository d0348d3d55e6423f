// CKKS parameters for one job only: adding the sites' updates. No ciphertext is ever multiplied, so the
// coefficient-modulus chain needs no level to rescale into and no key-switching prime: one prime q,
// which SEAL accepts (a one-prime chain only turns key switching off, which summation never uses).
// The smaller q, the smaller each ciphertext (zstd drops the unused high bits of each 64-bit word), so
// q is the fewest bits that hold the sum of maxSites values at the precision below.
//
// Values are divided by the task's value bound B before encoding, so every slot holds |x| ≤ 1 and the
// sum of S sites holds |Σx| ≤ S. With scale Δ = 2^41 and q > 2^(Q−1), Q = 44 + ⌈log2 S⌉:
//   - no overflow: each coefficient of the summed plaintext is at most S·Δ (the inverse canonical
//     embedding of real slots bounded by 1 has coefficients bounded by 1·Δ), plus S·22 of noise, which
//     stays under q/2 > 2^(Q−2) = 2·2^⌈log2 S⌉·Δ ≥ 2·S·Δ with a factor 2 to spare;
//   - error: each fresh ciphertext decrypts to m + e with |e| ≤ 21 (SEAL's centred binomial noise) plus
//     ½ of rounding in encoding and < ¼ of double-precision error in the FFT (Δ·13·2^−53 < 0.01); the
//     sum of S carries at most 22·S per coefficient, and a slot adds N coefficients, so
//     |decoded − exact| ≤ N·22·S/Δ in units of B. With N = 4096 that is S·B·4.1e−8, under float32's own
//     half-ulp at the top of the range (S·B·2^−24 ≈ S·B·6.0e−8). See docs/homomorphic-encryption.md.
import { createHash } from 'node:crypto';
import { HomomorphicError } from './homomorphic-error.ts';

/** Ring dimension: N/2 = 2048 values per ciphertext. 8192 gives the same bytes per value. */
export const POLY_MODULUS_DEGREE = 4096;
export const SLOTS_PER_CIPHERTEXT = POLY_MODULUS_DEGREE / 2;
/** log2 of the scale Δ, in units of the value bound. */
export const SCALE_BITS = 41;
/** |e| per coefficient of one fresh ciphertext: SEAL's noise (≤ 21) + rounding (½) + FFT error. */
export const FRESH_ERROR_PER_COEFFICIENT = 22;
/** The most SEAL allows for one prime. */
const MAX_PRIME_BITS = 60;
/** SEAL's own table: 109 bits of coefficient modulus at most for N = 4096 at 128-bit security. */
export const SECURITY_BITS = 128;
/** A value bound outside this range is a units mistake, not a model update. */
const VALUE_BOUND_RANGE = [1e-6, 1e9] as const;

export interface SummationParameters {
  readonly scheme: 'ckks';
  readonly polyModulusDegree: number;
  /** Bits of the one coefficient-modulus prime (SEAL picks the largest such prime ≡ 1 mod 2N). */
  readonly primeBits: number;
  readonly scaleBits: number;
  /** The most ciphertexts one sum may add; the prime was sized for it, so more could overflow. */
  readonly maxSites: number;
  /** The largest |value| one site may encrypt; larger values are refused, not wrapped. */
  readonly valueBound: number;
  readonly securityBits: number;
}

/** Parameters for a task whose sums add at most `maxSites` updates with |value| ≤ `valueBound`. */
export function summationParameters(options: { maxSites: number; valueBound: number }): SummationParameters {
  const { maxSites, valueBound } = options;
  if (!Number.isInteger(maxSites) || maxSites < 1) {
    throw new HomomorphicError(
      'bad-parameters',
      'The number of sites for an encrypted sum must be a whole number of at least 1.',
    );
  }
  if (!(valueBound >= VALUE_BOUND_RANGE[0] && valueBound <= VALUE_BOUND_RANGE[1])) {
    throw new HomomorphicError(
      'bad-parameters',
      `The value bound for an encrypted sum must be between ${VALUE_BOUND_RANGE[0]} and ${VALUE_BOUND_RANGE[1]}: clip the update to a bound in that range.`,
    );
  }
  const primeBits = SCALE_BITS + 3 + Math.ceil(Math.log2(maxSites));
  if (primeBits > MAX_PRIME_BITS) {
    throw new HomomorphicError(
      'bad-parameters',
      `An encrypted sum holds at most ${2 ** (MAX_PRIME_BITS - SCALE_BITS - 3)} sites at float32 precision; this task names ${maxSites}.`,
    );
  }
  return {
    scheme: 'ckks',
    polyModulusDegree: POLY_MODULUS_DEGREE,
    primeBits,
    scaleBits: SCALE_BITS,
    maxSites,
    valueBound,
    securityBits: SECURITY_BITS,
  };
}

/**
 * The largest |decrypted sum − exact sum| of `sites` updates (each value within the bound), from the
 * derivation above. The exact sum is of the values as encrypted (float32 inputs summed exactly).
 */
export function summationErrorBound(parameters: SummationParameters, sites: number): number {
  return (
    (parameters.polyModulusDegree * FRESH_ERROR_PER_COEFFICIENT * sites * parameters.valueBound) /
    2 ** parameters.scaleBits
  );
}

/** Ciphertexts for an update of `values` values. */
export function ciphertextCount(values: number): number {
  return Math.ceil(values / SLOTS_PER_CIPHERTEXT);
}

/** 16 bytes that name the parameters: ciphertexts under other parameters are refused by it. */
export function parametersFingerprint(parameters: SummationParameters): Buffer {
  const text = [
    parameters.scheme,
    parameters.polyModulusDegree,
    parameters.primeBits,
    parameters.scaleBits,
    parameters.maxSites,
    parameters.valueBound,
    parameters.securityBits,
  ].join('|');
  return createHash('sha256').update(`radfed-ckks-summation-v1|${text}`).digest().subarray(0, 16);
}

/** Checks a parameter record that came from elsewhere (a key message) against what this code builds. */
export function checkParameters(parameters: SummationParameters): SummationParameters {
  const rebuilt = summationParameters({ maxSites: parameters.maxSites, valueBound: parameters.valueBound });
  if (!parametersFingerprint(rebuilt).equals(parametersFingerprint(parameters))) {
    throw new HomomorphicError(
      'bad-parameters',
      'These homomorphic-encryption parameters are not the ones this version of RadFed derives for the task: update RadFed at every site.',
    );
  }
  return rebuilt;
}
