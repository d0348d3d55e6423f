// Keys of the protocol, all from node:crypto: Ed25519 for signatures, X25519 for encrypting uploads to
// the hub. Public keys travel as base64url of their 32 raw bytes; fingerprints are the first 16 bytes
// (32 hex digits) of a SHA-256, short enough to carry in a token and long enough to pin.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { FederationError } from '../../federation/index.ts';

export interface KeyPairPem {
  /** PKCS#8 PEM: keep it in a file of mode 0600. */
  readonly privateKeyPem: string;
  /** base64url of the 32 raw public key bytes. */
  readonly publicKey: string;
}

export function generateSigningKeyPair(): KeyPairPem {
  return toPem(generateKeyPairSync('ed25519'));
}

export function generateExchangeKeyPair(): KeyPairPem {
  return toPem(generateKeyPairSync('x25519'));
}

function toPem(pair: { publicKey: KeyObject; privateKey: KeyObject }): KeyPairPem {
  return {
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: rawPublicKey(pair.publicKey),
  };
}

export function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new FederationError('bad-signature', 'This key has no public part.');
  return jwk.x;
}

/** The public half of a private key, as base64url raw bytes. */
export function publicKeyOf(privateKey: KeyObject | string): string {
  return rawPublicKey(createPublicKey(privateKey));
}

export function loadPrivateKey(pem: string): KeyObject {
  return createPrivateKey(pem);
}

/** Imports a base64url raw public key; throws a FederationError when it is not 32 bytes. */
export function importPublicKey(raw: string, kind: 'ed25519' | 'x25519'): KeyObject {
  if (!/^[A-Za-z0-9_-]{43}$/.test(raw)) {
    throw new FederationError(
      'bad-signature',
      `An ${kind} public key is 32 bytes in base64url (43 characters).`,
    );
  }
  return createPublicKey({
    key: { kty: 'OKP', crv: kind === 'ed25519' ? 'Ed25519' : 'X25519', x: raw },
    format: 'jwk',
  });
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Short fingerprint: the first 32 hex digits of SHA-256. */
export function fingerprint(bytes: Uint8Array | string): string {
  return sha256Hex(bytes).slice(0, 32);
}

/** Fingerprint of a raw public key given as base64url. */
export function publicKeyFingerprint(raw: string): string {
  return fingerprint(Buffer.from(raw, 'base64url'));
}
