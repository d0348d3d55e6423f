// CKKS summation of flat float32 updates. A site encrypts with the task's secret key (symmetric and
// seeded: SEAL keeps only the seed of the uniform half of each fresh ciphertext, so an upload is one
// polynomial per 2048 values instead of two); the hub adds ciphertexts with the public parameters
// alone; a site decrypts the sum. Values are divided by the task's bound before encoding (see
// summation-parameters.ts for the scale, the overflow margin and the error bound).
import { randomBytes } from 'node:crypto';
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { Context } from 'node-seal/implementation/context.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import { decodeFrame, encodeFrame, type CiphertextFrame, MAX_VALUES } from './ciphertext-frame.ts';
import { HomomorphicError } from './homomorphic-error.ts';
import { createContext, loadSeal, sealCall, withSeal } from './seal-runtime.ts';
import {
  checkParameters,
  ciphertextCount,
  parametersFingerprint,
  SLOTS_PER_CIPHERTEXT,
  type SummationParameters,
} from './summation-parameters.ts';

/** A task's key as a site holds it: an id anyone may see, and SEAL's secret key bytes. */
export interface TaskSecretKey {
  /** 16 random bytes naming this key; frames carry it so a ciphertext under another key is refused. */
  readonly keyId: Buffer;
  readonly secretKey: Uint8Array;
}

/** Generates a fresh key for one task (rotation: a new key per task, never reused). */
export async function createTaskSecretKey(parameters: SummationParameters): Promise<TaskSecretKey> {
  const seal = await loadSeal();
  const context = createContext(seal, checkParameters(parameters));
  try {
    return withSeal((keep) => {
      const generator = keep(seal.KeyGenerator(context));
      const secret = keep(generator.secretKey());
      return { keyId: randomBytes(16), secretKey: secret.saveArray(seal.ComprModeType.zstd) };
    });
  } finally {
    context.delete();
  }
}

/** The hub's side: adds encrypted updates knowing only the public parameters and the key's id. */
export class EncryptedSummation {
  protected readonly fingerprint: Buffer;
  protected readonly maxBlobBytes: number;

  protected constructor(
    protected readonly seal: SEALLibrary,
    protected readonly context: Context,
    readonly parameters: SummationParameters,
    readonly keyId: Buffer,
  ) {
    this.fingerprint = parametersFingerprint(parameters);
    // Two polynomials of N 64-bit words, SEAL's header, and room for zstd's framing.
    this.maxBlobBytes = 16 + 2 * parameters.polyModulusDegree * 8 + 1024;
  }

  static async open(parameters: SummationParameters, keyId: Buffer): Promise<EncryptedSummation> {
    const seal = await loadSeal();
    const checked = checkParameters(parameters);
    return new EncryptedSummation(seal, createContext(seal, checked), checked, keyId);
  }

  /** Checks an encrypted update or sum without decrypting it (the hub runs this on every upload). */
  check(bytes: Uint8Array): CiphertextFrame {
    const frame = this.decode(bytes);
    withSeal((keep) => {
      for (const blob of frame.ciphertexts) this.load(blob, keep);
    });
    return frame;
  }

  /** The encrypted sum of encrypted updates (or of partial sums): ciphertexts added slot by slot. */
  sum(encrypted: readonly Uint8Array[]): Uint8Array {
    if (encrypted.length === 0)
      throw new HomomorphicError('bad-ciphertext', 'An encrypted sum needs at least one update.');
    const frames = encrypted.map((bytes) => this.decode(bytes));
    const values = frames[0]!.values;
    if (frames.some((frame) => frame.values !== values)) {
      throw new HomomorphicError(
        'bad-ciphertext',
        "These encrypted updates are of different lengths: every site must encrypt the task's whole model update.",
      );
    }
    const contributions = frames.reduce((total, frame) => total + frame.contributions, 0);
    if (contributions > this.parameters.maxSites) {
      throw new HomomorphicError(
        'too-many-sites',
        `An encrypted sum of ${contributions} updates could overflow parameters sized for ${this.parameters.maxSites} sites; start a task sized for more sites.`,
      );
    }
    const ciphertexts = withSeal((keep) => {
      const evaluator = keep(this.seal.Evaluator(this.context));
      return frames[0]!.ciphertexts.map((_, index) =>
        withSeal((keepHere) => {
          const total = this.load(frames[0]!.ciphertexts[index]!, keepHere);
          for (const frame of frames.slice(1)) {
            const next = this.load(frame.ciphertexts[index]!, keepHere);
            sealCall('add two ciphertexts', () => evaluator.add(total, next, total));
          }
          return total.saveArray(this.seal.ComprModeType.zstd);
        }),
      );
    });
    return encodeFrame({
      kind: 'sum',
      parameters: this.fingerprint,
      keyId: this.keyId,
      contributions,
      values,
      ciphertexts,
    });
  }

  dispose(): void {
    this.context.delete();
  }

  protected decode(bytes: Uint8Array): CiphertextFrame {
    return decodeFrame(bytes, {
      parameters: this.fingerprint,
      keyId: this.keyId,
      maxBlobBytes: this.maxBlobBytes,
      maxSites: this.parameters.maxSites,
    });
  }

  /** Loads one SEAL blob (its header already checked) and checks what SEAL read against the task. */
  protected load(blob: Uint8Array, keep: <D extends { delete(): void }>(object: D) => D): CipherText {
    const ciphertext = keep(this.seal.CipherText());
    sealCall('read a ciphertext (it is damaged or was made with other parameters)', () =>
      ciphertext.loadArray(this.context, blob),
    );
    const parmsId = keep(ciphertext.parmsId);
    const expectedId = keep(this.context.firstParmsId);
    const sameLevel = parmsId.values.every((word: bigint, i: number) => word === expectedId.values[i]);
    if (
      !sameLevel ||
      ciphertext.size !== 2 ||
      ciphertext.coeffModulusSize !== 1 ||
      ciphertext.polyModulusDegree !== this.parameters.polyModulusDegree ||
      !ciphertext.isNttForm ||
      ciphertext.scale !== 2 ** this.parameters.scaleBits
    ) {
      throw new HomomorphicError(
        'bad-ciphertext',
        "A ciphertext does not have the task's size, level or scale. Ask the site to send it again with the task's current key.",
      );
    }
    return ciphertext;
  }
}

/** A site's side: the hub's checks and addition, plus encryption and decryption with the task key. */
export class SiteCipher extends EncryptedSummation {
  private constructor(
    seal: SEALLibrary,
    context: Context,
    parameters: SummationParameters,
    key: TaskSecretKey,
    private readonly secretKey: SecretKey,
    private readonly encryptor: Encryptor,
  ) {
    super(seal, context, parameters, key.keyId);
  }

  static async withKey(parameters: SummationParameters, key: TaskSecretKey): Promise<SiteCipher> {
    const seal = await loadSeal();
    const checked = checkParameters(parameters);
    const context = createContext(seal, checked);
    const secretKey = seal.SecretKey();
    try {
      sealCall('read the task key (it is damaged or belongs to other parameters)', () =>
        secretKey.loadArray(context, key.secretKey),
      );
      // SEAL's Encryptor takes a public key even for symmetric encryption; it is derived here and
      // never leaves the site (the hub needs none: it only adds).
      const encryptor = withSeal((keep) => {
        const generator = keep(seal.KeyGenerator(context, secretKey));
        const publicKey = keep(generator.createPublicKey());
        return seal.Encryptor(context, publicKey, secretKey);
      });
      return new SiteCipher(seal, context, checked, key, secretKey, encryptor);
    } catch (error) {
      secretKey.delete();
      context.delete();
      throw error;
    }
  }

  /** Encrypts a flat update; every value must be finite and within the task's bound. */
  encrypt(update: Float32Array | Float64Array): Uint8Array {
    if (update.length < 1 || update.length > MAX_VALUES) {
      throw new HomomorphicError(
        'bad-parameters',
        `An encrypted update holds 1 to ${MAX_VALUES} values; this one has ${update.length}.`,
      );
    }
    const bound = this.parameters.valueBound;
    const scale = 2 ** this.parameters.scaleBits;
    const slots = new Float64Array(SLOTS_PER_CIPHERTEXT);
    const ciphertexts = withSeal((keep) => {
      const encoder = keep(this.seal.CKKSEncoder(this.context));
      const out: Uint8Array[] = [];
      for (let start = 0; start < update.length; start += SLOTS_PER_CIPHERTEXT) {
        slots.fill(0);
        const end = Math.min(start + SLOTS_PER_CIPHERTEXT, update.length);
        for (let i = start; i < end; i++) {
          const value = update[i]!;
          if (!(Math.abs(value) <= bound)) {
            throw new HomomorphicError(
              'value-out-of-range',
              `Value ${i} of the update is not a finite number within the task's bound of ±${bound}: clip the update before encrypting it.`,
            );
          }
          slots[i - start] = value / bound;
        }
        out.push(
          withSeal((keepHere) => {
            const plain = keepHere(sealCall('encode values', () => this.encode(encoder, slots, scale)));
            const seeded = keepHere(
              sealCall('encrypt', () => this.encryptor.encryptSymmetricSerializable(plain)),
            );
            return seeded.saveArray(this.seal.ComprModeType.zstd);
          }),
        );
      }
      return out;
    });
    return encodeFrame({
      kind: 'update',
      parameters: this.fingerprint,
      keyId: this.keyId,
      contributions: 1,
      values: update.length,
      ciphertexts,
    });
  }

  /** Decrypts an encrypted update or sum into its values (float64: the caller rounds as it needs). */
  decrypt(bytes: Uint8Array): { values: Float64Array; contributions: number } {
    const frame = this.decode(bytes);
    const values = new Float64Array(frame.values);
    const bound = this.parameters.valueBound;
    withSeal((keep) => {
      const encoder = keep(this.seal.CKKSEncoder(this.context));
      const decryptor = keep(this.seal.Decryptor(this.context, this.secretKey));
      frame.ciphertexts.forEach((blob, index) => {
        withSeal((keepHere) => {
          const ciphertext = this.load(blob, keepHere);
          const plain = keepHere(this.seal.PlainText());
          sealCall('decrypt', () => decryptor.decrypt(ciphertext, plain));
          const slots = sealCall('decode', () => encoder.decode(plain));
          const start = index * SLOTS_PER_CIPHERTEXT;
          const count = Math.min(SLOTS_PER_CIPHERTEXT, frame.values - start);
          for (let i = 0; i < count; i++) values[start + i] = Number(slots[i]) * bound;
        });
      });
    });
    return { values, contributions: frame.contributions };
  }

  override dispose(): void {
    this.encryptor.delete();
    this.secretKey.delete();
    super.dispose();
  }

  private encode(
    encoder: ReturnType<SEALLibrary['CKKSEncoder']>,
    slots: Float64Array,
    scale: number,
  ): ReturnType<SEALLibrary['PlainText']> {
    const plain = this.seal.PlainText();
    encoder.encode(slots, scale, plain);
    return plain;
  }
}

export { ciphertextCount };
