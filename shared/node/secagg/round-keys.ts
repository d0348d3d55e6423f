// The keys of one site in one round: two X25519 pairs (one whose agreement with a neighbour gives the
// pairwise mask key, one whose agreement encrypts the shares sent to that neighbour) and a 32-byte
// self-mask seed. All are fresh each round, so revealing a dropped site's mask key opens nothing else.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { SecureAggregationError } from './secagg-error.ts';

// PKCS#8 prefix of an X25519 private key: the 32 raw bytes follow it.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface RoundSecrets {
  /** base64url of the 32 raw bytes of each private key, and of the seed. */
  readonly maskPrivateKey: string;
  readonly sharePrivateKey: string;
  readonly selfMaskSeed: string;
}

export interface RoundPublicKeys {
  readonly maskPublicKey: string;
  readonly sharePublicKey: string;
  /** SHA-256 of the seed: lets the hub check a seed rebuilt from shares without learning it early. */
  readonly selfMaskCommitment: string;
}

export function newRoundSecrets(): RoundSecrets {
  const raw = () => {
    const jwk = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
    return jwk.d as string;
  };
  return {
    maskPrivateKey: raw(),
    sharePrivateKey: raw(),
    selfMaskSeed: randomBytes(32).toString('base64url'),
  };
}

export function publicKeysOf(secrets: RoundSecrets): RoundPublicKeys {
  return {
    maskPublicKey: x25519PublicOf(secrets.maskPrivateKey),
    sharePublicKey: x25519PublicOf(secrets.sharePrivateKey),
    selfMaskCommitment: seedCommitment(Buffer.from(secrets.selfMaskSeed, 'base64url')),
  };
}

export function seedCommitment(seed: Uint8Array): string {
  return createHash('sha256').update('radfed secagg self-mask seed').update(seed).digest('hex');
}

export function x25519PublicOf(privateRaw: string | Uint8Array): string {
  const jwk = createPublicKey(privateKeyObject(privateRaw)).export({ format: 'jwk' });
  return jwk.x as string;
}

function privateKeyObject(privateRaw: string | Uint8Array): KeyObject {
  const raw = typeof privateRaw === 'string' ? Buffer.from(privateRaw, 'base64url') : Buffer.from(privateRaw);
  if (raw.byteLength !== 32)
    throw new SecureAggregationError('bad-share', 'An X25519 private key is 32 bytes.');
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(raw: string): KeyObject {
  if (!/^[A-Za-z0-9_-]{43}$/.test(raw)) {
    throw new SecureAggregationError(
      'bad-plan',
      'An X25519 public key is 32 bytes in base64url (43 characters).',
    );
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw }, format: 'jwk' });
}

function agree(privateRaw: string | Uint8Array, publicRaw: string): Buffer {
  return diffieHellman({ privateKey: privateKeyObject(privateRaw), publicKey: publicKeyObject(publicRaw) });
}

/** What ties a derived key to its task, round and pair of sites. */
export interface PairContext {
  readonly taskId: string;
  readonly round: number;
}

/**
 * s_uv: the 32-byte PRG key both u and v derive (and the hub, from a dropped site's rebuilt key).
 * The pair is named in a fixed order, so both ends get the same key.
 */
export function pairMaskKey(
  ownMaskPrivateKey: string | Uint8Array,
  otherMaskPublicKey: string,
  context: PairContext & { readonly sites: readonly [string, string] },
): Uint8Array {
  const [a, b] = [...context.sites].sort();
  const info = `radfed secagg pair mask|${context.taskId}|${context.round}|${a}|${b}`;
  return new Uint8Array(
    hkdfSync('sha256', agree(ownMaskPrivateKey, otherMaskPublicKey), Buffer.alloc(0), info, 32),
  );
}

function shareKey(ownSharePrivateKey: string, otherSharePublicKey: string, aad: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', agree(ownSharePrivateKey, otherSharePublicKey), Buffer.alloc(0), aad, 32),
  );
}

function shareAad(context: PairContext, from: string, to: string): string {
  return `radfed secagg shares|${context.taskId}|${context.round}|${from}|${to}`;
}

/** The shares u gives v, encrypted for v alone: AES-256-GCM, "iv | ciphertext | tag" in base64url. */
export function encryptShares(
  plaintext: Uint8Array,
  ownSharePrivateKey: string,
  recipientSharePublicKey: string,
  context: PairContext & { readonly from: string; readonly to: string },
): string {
  const aad = shareAad(context, context.from, context.to);
  const iv = randomBytes(12);
  const cipher = createCipheriv(
    'aes-256-gcm',
    shareKey(ownSharePrivateKey, recipientSharePublicKey, aad),
    iv,
  );
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

export function decryptShares(
  ciphertext: string,
  ownSharePrivateKey: string,
  senderSharePublicKey: string,
  context: PairContext & { readonly from: string; readonly to: string },
): Uint8Array {
  const bytes = Buffer.from(ciphertext, 'base64url');
  const aad = shareAad(context, context.from, context.to);
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      shareKey(ownSharePrivateKey, senderSharePublicKey, aad),
      bytes.subarray(0, 12),
    );
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(bytes.subarray(bytes.byteLength - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.byteLength - 16)), decipher.final()]);
  } catch (error) {
    throw new SecureAggregationError(
      'bad-share',
      'Shares from a neighbouring site could not be decrypted (altered on the way, or meant for another round); the round goes on without that site.',
      { cause: error },
    );
  }
}
