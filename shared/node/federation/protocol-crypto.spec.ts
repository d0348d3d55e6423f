import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type UpdateEnvelope } from '../../federation/index.ts';
import { formatEnrollmentToken, parseEnrollmentToken } from './enrollment-token.ts';
import { signEnvelope, verifyEnvelope } from './envelope-signing.ts';
import { generateExchangeKeyPair, loadPrivateKey, publicKeyOf } from './keys.ts';
import { signGlobalModel, verifyGlobalModel } from './model-signing.ts';
import {
  canonicalRequest,
  signRequest,
  SIGNATURE_HEADERS,
  verifyRequestSignature,
} from './request-signing.ts';
import { openSealed, sealForHub, uploadContext } from './sealed-box.ts';
import { sha256Hex } from './keys.ts';

describe('sealed updates (X25519 + HKDF-SHA256 + AES-256-GCM)', () => {
  const hub = generateExchangeKeyPair();
  const hubKey = loadPrivateKey(hub.privateKeyPem);
  const context = uploadContext({ taskId: 't1', round: 3, siteId: 's1', kind: 'delta' });
  const payload = new Uint8Array(5000).map((_, i) => (i * 7) % 256);

  it('opens what was sealed for it; each seal is fresh', () => {
    const sealed = sealForHub(payload, hub.publicKey, context);
    expect(Buffer.from(openSealed(sealed, hubKey, context)).equals(Buffer.from(payload))).toBe(true);
    expect(Buffer.from(sealForHub(payload, hub.publicKey, context)).equals(Buffer.from(sealed))).toBe(false);
  });

  it('fails on a flipped byte, another context, or another hub', () => {
    const sealed = sealForHub(payload, hub.publicKey, context);
    const flipped = Uint8Array.from(sealed);
    flipped[200] = flipped[200]! ^ 1;
    expect(() => openSealed(flipped, hubKey, context)).toThrow(/could not be decrypted/);
    const otherRound = uploadContext({ taskId: 't1', round: 4, siteId: 's1', kind: 'delta' });
    expect(() => openSealed(sealed, hubKey, otherRound)).toThrow(/could not be decrypted/);
    const other = loadPrivateKey(generateExchangeKeyPair().privateKeyPem);
    expect(() => openSealed(sealed, other, context)).toThrow(/could not be decrypted/);
    expect(() => openSealed(new Uint8Array(10), hubKey, context)).toThrow(/RFS1/);
  });
});

describe('request signatures', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const body = Buffer.from('{"a":1}');

  it('verify for exactly the request signed', () => {
    const headers = signRequest({
      method: 'post',
      path: '/v1/x?y=1',
      body,
      siteId: 's1',
      privateKey,
      now: 1000,
    });
    const request = {
      method: 'POST',
      path: '/v1/x?y=1',
      bodySha256: sha256Hex(body),
      timestamp: headers[SIGNATURE_HEADERS.timestamp]!,
      nonce: headers[SIGNATURE_HEADERS.nonce]!,
      siteId: 's1',
    };
    const signature = headers[SIGNATURE_HEADERS.signature]!;
    expect(request.timestamp).toBe('1000');
    expect(verifyRequestSignature(request, signature, publicKey)).toBe(true);
    expect(verifyRequestSignature({ ...request, path: '/v1/x?y=2' }, signature, publicKey)).toBe(false);
    expect(
      verifyRequestSignature({ ...request, bodySha256: sha256Hex('{"a":2}') }, signature, publicKey),
    ).toBe(false);
    expect(verifyRequestSignature({ ...request, siteId: 's2' }, signature, publicKey)).toBe(false);
    expect(verifyRequestSignature(request, 'not-a-signature', publicKey)).toBe(false);
    expect(canonicalRequest(request).split('\n')).toHaveLength(7);
  });
});

describe('global model and envelope signatures', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = publicKeyOf(privateKey);
  const bytes = Buffer.from('model bytes');
  const statement = { taskId: 't1', version: 2, round: 2, sha256: sha256Hex(bytes) };

  it('verifyGlobalModel accepts the signed model and rejects any change', () => {
    const signature = signGlobalModel(statement, privateKey);
    expect(() => verifyGlobalModel({ ...statement, signature }, publicKey, bytes)).not.toThrow();
    expect(() => verifyGlobalModel({ ...statement, version: 3, signature }, publicKey)).toThrow(
      /does not verify/,
    );
    expect(() => verifyGlobalModel({ ...statement, signature }, publicKey, Buffer.from('other'))).toThrow(
      /does not match/,
    );
    const stranger = publicKeyOf(generateKeyPairSync('ed25519').privateKey);
    expect(() => verifyGlobalModel({ ...statement, signature }, stranger)).toThrow(/does not verify/);
  });

  it('envelopes verify regardless of key order, and not when changed', () => {
    const envelope: UpdateEnvelope = {
      protocol: 1,
      taskId: 't1',
      round: 1,
      siteId: 's1',
      kind: 'delta',
      baseVersion: 0,
      examples: 40,
      compression: 'int8',
      ciphertextSha256: 'a'.repeat(64),
      ciphertextBytes: 100,
    };
    const signature = signEnvelope(envelope, privateKey);
    const reordered = Object.fromEntries(Object.entries(envelope).reverse()) as UpdateEnvelope;
    const key = generateKeyPairSync('ed25519');
    expect(verifyEnvelope(reordered, signature, createPublicKey(privateKey))).toBe(true);
    expect(verifyEnvelope({ ...envelope, examples: 4000 }, signature, createPublicKey(privateKey))).toBe(
      false,
    );
    expect(verifyEnvelope(envelope, signature, key.publicKey)).toBe(false);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 1 }] })).toBe('{"a":[{"c":1,"d":2}],"b":1}');
  });
});

describe('enrollment tokens', () => {
  it('carry URL, secret and both fingerprints, and reject anything else', () => {
    const token = {
      hubUrl: 'https://hub.example.org:8443',
      secret: 'A'.repeat(43),
      caFingerprint: '0123456789abcdef0123456789abcdef',
      signingKeyFingerprint: 'fedcba9876543210fedcba9876543210',
    };
    const text = formatEnrollmentToken(token);
    expect(text.startsWith('rft1.')).toBe(true);
    expect(parseEnrollmentToken(`  ${text}\n`)).toEqual(token);
    expect(() => parseEnrollmentToken('hello')).toThrow(/not a RadFed enrollment token/);
    expect(() => parseEnrollmentToken(text.slice(0, -6))).toThrow(/enrollment token/);
  });
});
