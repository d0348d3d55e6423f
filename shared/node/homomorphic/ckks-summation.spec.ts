// The decrypted sum against the plain sum, for random updates of a realistic size and range from 3, 10
// and 50 sites, within the bound the docs derive (docs/homomorphic-encryption.md, "Error bound").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTaskSecretKey,
  EncryptedSummation,
  SiteCipher,
  summationErrorBound,
  summationParameters,
  type SummationParameters,
} from './index.ts';

/** A deterministic generator, so a failure names the same numbers every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A model delta: mostly small values, a few near the clip bound. */
function randomUpdate(values: number, bound: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: values }, () => {
    const r = random();
    return Math.fround((random() * 2 - 1) * (r < 0.01 ? bound : bound * 0.05));
  });
}

describe('CKKS summation of float32 updates', () => {
  const VALUES = 10_000; // 5 ciphertexts, the last one partly filled
  const BOUND = 0.5;

  for (const sites of [3, 10, 50]) {
    it(`decrypts the sum of ${sites} sites' updates within the documented bound`, async () => {
      const parameters = summationParameters({ maxSites: sites, valueBound: BOUND });
      const key = await createTaskSecretKey(parameters);
      const site = await SiteCipher.withKey(parameters, key);
      const hub = await EncryptedSummation.open(parameters, key.keyId);
      try {
        const updates = Array.from({ length: sites }, (_, i) => randomUpdate(VALUES, BOUND, 1000 + i));
        const encrypted = updates.map((update) => site.encrypt(update));
        const sum = hub.sum(encrypted);
        const { values, contributions } = site.decrypt(sum);
        expect(contributions).toBe(sites);

        const exact = new Float64Array(VALUES);
        const float32Sum = new Float32Array(VALUES);
        for (const update of updates) {
          for (let i = 0; i < VALUES; i++) {
            exact[i]! += update[i]!;
            float32Sum[i] = Math.fround(float32Sum[i]! + update[i]!);
          }
        }
        let errorToExact = 0;
        let errorToFloat32 = 0;
        for (let i = 0; i < VALUES; i++) {
          errorToExact = Math.max(errorToExact, Math.abs(values[i]! - exact[i]!));
          errorToFloat32 = Math.max(errorToFloat32, Math.abs(values[i]! - float32Sum[i]!));
        }
        const bound = summationErrorBound(parameters, sites);
        expect(errorToExact).toBeLessThanOrEqual(bound);
        // The float32 sum rounds at each of its S−1 additions: at most S·2^−24 of the range S·B each.
        const float32Rounding = (sites - 1) * 2 ** -24 * sites * BOUND;
        expect(errorToFloat32).toBeLessThanOrEqual(bound + float32Rounding);
        // The bound is worst case; the measured error is far inside it, not at it by chance.
        expect(errorToExact).toBeLessThan(bound / 4);
      } finally {
        site.dispose();
        hub.dispose();
      }
    });
  }

  it('uploads under 4 bytes per float32 byte: only the seed of each fresh ciphertext’s random half', async () => {
    const parameters = summationParameters({ maxSites: 50, valueBound: 1 });
    const site = await SiteCipher.withKey(parameters, await createTaskSecretKey(parameters));
    try {
      const values = 20 * 2048;
      const encrypted = site.encrypt(randomUpdate(values, 1, 3));
      // Unseeded, two 50-bit polynomials per 2048 values would be over 6 bytes per float32 byte.
      expect(encrypted.byteLength / (4 * values)).toBeLessThan(4);
    } finally {
      site.dispose();
    }
  });

  it('does not wrap at the worst case: as many sites as the prime was sized for, every value at +B', async () => {
    // 64 sites is a power of two: the margin is the narrowest, q/2 > 2·S·Δ with nothing from rounding up.
    const sites = 64;
    const parameters = summationParameters({ maxSites: sites, valueBound: 2 });
    const key = await createTaskSecretKey(parameters);
    const site = await SiteCipher.withKey(parameters, key);
    const hub = await EncryptedSummation.open(parameters, key.keyId);
    try {
      // Every slot at +B is the constant polynomial B·Δ: the largest coefficient any update can have.
      const extreme = new Float32Array(4096).fill(2);
      const { values } = site.decrypt(hub.sum(Array.from({ length: sites }, () => site.encrypt(extreme))));
      const bound = summationErrorBound(parameters, sites);
      values.forEach((value, i) => expect(Math.abs(value - sites * extreme[i]!)).toBeLessThanOrEqual(bound));
    } finally {
      site.dispose();
      hub.dispose();
    }
  });

  it('keeps the sum exact enough at float32 precision of the range for the largest federation', () => {
    const parameters = summationParameters({ maxSites: 50, valueBound: 1 });
    expect(parameters.primeBits).toBe(50);
    expect(summationErrorBound(parameters, 50)).toBeLessThan(2 ** -24 * 50);
  });
});

describe('what the hub and a site refuse', () => {
  let parameters: SummationParameters;
  let site: SiteCipher;
  let hub: EncryptedSummation;
  let update: Uint8Array;
  beforeAll(async () => {
    parameters = summationParameters({ maxSites: 3, valueBound: 1 });
    const key = await createTaskSecretKey(parameters);
    site = await SiteCipher.withKey(parameters, key);
    hub = await EncryptedSummation.open(parameters, key.keyId);
    update = site.encrypt(randomUpdate(3000, 1, 7));
  });
  afterAll(() => {
    site.dispose();
    hub.dispose();
  });

  it('accepts a well-formed update', () => {
    expect(hub.check(update).contributions).toBe(1);
  });

  it('adds partial sums as it adds updates: a running sum at the hub equals the sum at round close', () => {
    const others = [randomUpdate(3000, 1, 8), randomUpdate(3000, 1, 9)].map((values) => site.encrypt(values));
    const running = hub.sum([hub.sum([update, others[0]!]), others[1]!]);
    const atClose = hub.sum([update, ...others]);
    expect(hub.check(running).contributions).toBe(3);
    const a = site.decrypt(running).values;
    const b = site.decrypt(atClose).values;
    const bound = 2 * summationErrorBound(parameters, 3);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(bound);
  });

  it('refuses values beyond the bound and non-finite values instead of wrapping them', () => {
    expect(() => site.encrypt(Float32Array.from([0.5, 1.5]))).toThrow(/bound of ±1: clip/);
    expect(() => site.encrypt(Float32Array.from([Number.NaN]))).toThrow(/not a finite number/);
  });

  it('refuses garbage, truncation and trailing bytes before SEAL reads them', () => {
    expect(() => hub.check(Uint8Array.from({ length: 200 }, (_, i) => i))).toThrow(/RHE1 marker/);
    expect(() => hub.check(update.subarray(0, update.byteLength - 10))).toThrow(/too long or cut short/);
    expect(() => hub.check(Buffer.concat([update, Buffer.from([0])]))).toThrow(/bytes after/);
  });

  it('refuses a SEAL blob with a damaged header, and wraps what SEAL itself refuses', () => {
    const badHeader = Buffer.from(update);
    // The blob's size field, changed whatever its byte was (setting it to 0xff left it as it was 1 run in 256).
    const sizeByte = 52 + 4 + 8;
    badHeader.writeUInt8(badHeader.readUInt8(sizeByte) ^ 0xff, sizeByte);
    expect(() => hub.check(badHeader)).toThrow(/SEAL 4 header/);
    const badBody = Buffer.from(update);
    for (let i = 52 + 4 + 16; i < 52 + 4 + 400; i++) badBody[i] = 0xab; // zstd data overwritten
    expect(() => hub.check(badBody)).toThrow(/SEAL could not read a ciphertext/);
  });

  it('refuses an update made under other parameters or another key', async () => {
    const other = summationParameters({ maxSites: 10, valueBound: 1 });
    const otherKey = await createTaskSecretKey(other);
    const otherSite = await SiteCipher.withKey(other, otherKey);
    try {
      expect(() => hub.check(otherSite.encrypt(Float32Array.from([0.1])))).toThrow(
        /other encryption parameters/,
      );
    } finally {
      otherSite.dispose();
    }
    const rotated = await createTaskSecretKey(parameters);
    const rotatedSite = await SiteCipher.withKey(parameters, rotated);
    try {
      expect(() => hub.check(rotatedSite.encrypt(Float32Array.from([0.1])))).toThrow(/under another key/);
    } finally {
      rotatedSite.dispose();
    }
  });

  it('refuses sums of updates of different lengths, and sums past the sites the prime was sized for', () => {
    const short = site.encrypt(Float32Array.from([0.1, 0.2]));
    expect(() => hub.sum([update, short])).toThrow(/different lengths/);
    expect(() => hub.sum([update, update, update, update])).toThrow(/overflow parameters sized for 3 sites/);
  });

  it('refuses a key that is not a SEAL secret key for these parameters', async () => {
    await expect(
      SiteCipher.withKey(parameters, { keyId: Buffer.alloc(16), secretKey: Uint8Array.from([1, 2, 3]) }),
    ).rejects.toThrow(/read the task key/);
  });
});
