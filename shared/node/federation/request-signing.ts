// Every site request is signed with the site's Ed25519 key over its method, path (with query), the
// SHA-256 of its body, a timestamp and a nonce. The hub rejects a request whose timestamp is more
// than CLOCK_SKEW_MS away from its own clock and remembers nonces for that window, so a captured
// request can be replayed neither later nor now.
import { type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../federation/index.ts';
import { sha256Hex } from './keys.ts';

export const SIGNATURE_HEADERS = {
  site: 'x-radfed-site',
  timestamp: 'x-radfed-timestamp',
  nonce: 'x-radfed-nonce',
  signature: 'x-radfed-signature',
} as const;

/** How far the site's clock may be from the hub's (either way). */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface RequestToSign {
  readonly method: string;
  /** Path and query exactly as sent, e.g. "/v1/tasks/t1/round?wait=30". */
  readonly path: string;
  readonly bodySha256: string;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string;
  readonly nonce: string;
  readonly siteId: string;
}

export function canonicalRequest(request: RequestToSign): string {
  return [
    'RADFED-REQUEST-V1',
    request.method.toUpperCase(),
    request.path,
    request.bodySha256,
    request.timestamp,
    request.nonce,
    request.siteId,
  ].join('\n');
}

/**
 * The headers that sign one request, with the protocol version the site speaks (not signed: a changed
 * version only gets the request refused), so every signed request says it whatever client sends it.
 */
export function signRequest(options: {
  method: string;
  path: string;
  body?: Uint8Array;
  siteId: string;
  privateKey: KeyObject;
  now?: number;
}): Record<string, string> {
  const timestamp = String(Math.round(options.now ?? Date.now()));
  const nonce = randomBytes(16).toString('base64url');
  const message = canonicalRequest({
    method: options.method,
    path: options.path,
    bodySha256: sha256Hex(options.body ?? new Uint8Array(0)),
    timestamp,
    nonce,
    siteId: options.siteId,
  });
  return {
    [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
    [SIGNATURE_HEADERS.site]: options.siteId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: sign(null, Buffer.from(message), options.privateKey).toString('base64url'),
  };
}

export function verifyRequestSignature(
  request: RequestToSign,
  signature: string,
  publicKey: KeyObject,
): boolean {
  try {
    return verify(
      null,
      Buffer.from(canonicalRequest(request)),
      publicKey,
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    return false;
  }
}
