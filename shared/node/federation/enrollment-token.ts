// The one-time enrollment token the coordinator hands to a site (by e-mail, phone, paper): it carries
// where the hub probably is, the secret, and fingerprints of the hub's CA certificate and signing key.
// The site pins both from the first connection, so a man in the middle cannot pose as the hub.
//   "rft1." + base64url(JSON { u: hub URL hint, s: secret, c: CA fingerprint, k: signing key fingerprint })
import { z } from 'zod';
import { FederationError } from '../../federation/index.ts';
import { formatPrefixedToken, parsePrefixedToken } from './prefixed-token.ts';

export interface EnrollmentToken {
  /** A hint: the site may be told another address for the same hub (the pins still apply). */
  readonly hubUrl: string;
  /** base64url of 32 random bytes; the hub stores only its SHA-256. */
  readonly secret: string;
  readonly caFingerprint: string;
  readonly signingKeyFingerprint: string;
}

const PREFIX = 'rft1.';
const payloadSchema = z.object({
  u: z.string().url(),
  s: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  c: z.string().regex(/^[0-9a-f]{32}$/),
  k: z.string().regex(/^[0-9a-f]{32}$/),
});

export function formatEnrollmentToken(token: EnrollmentToken): string {
  return formatPrefixedToken(PREFIX, {
    u: token.hubUrl,
    s: token.secret,
    c: token.caFingerprint,
    k: token.signingKeyFingerprint,
  });
}

export function parseEnrollmentToken(text: string): EnrollmentToken {
  const payload = parsePrefixedToken(text, PREFIX, payloadSchema);
  if (!payload) {
    throw new FederationError(
      'bad-token',
      'This is not a RadFed enrollment token (it starts with "rft1."); copy the whole token the coordinator gave you.',
    );
  }
  const { u, s, c, k } = payload;
  return { hubUrl: u, secret: s, caFingerprint: c, signingKeyFingerprint: k };
}
