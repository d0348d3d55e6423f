// The one-time enrollment token the coordinator hands to a site (by e-mail, phone, paper): it carries
// where the hub probably is, the secret, and fingerprints of the hub's CA certificate and signing key.
// The site pins both from the first connection, so a man in the middle cannot pose as the hub.
//   "rft1." + base64url(JSON { u: hub URL hint, s: secret, c: CA fingerprint, k: signing key fingerprint })
import { z } from 'zod';
import { FederationError } from '../../federation/index.ts';

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
  const payload = {
    u: token.hubUrl,
    s: token.secret,
    c: token.caFingerprint,
    k: token.signingKeyFingerprint,
  };
  return PREFIX + Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function parseEnrollmentToken(text: string): EnrollmentToken {
  const trimmed = text.trim();
  const fail = (): never => {
    throw new FederationError(
      'bad-token',
      'This is not a RadFed enrollment token (it starts with "rft1."); copy the whole token the coordinator gave you.',
    );
  };
  if (!trimmed.startsWith(PREFIX)) fail();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(trimmed.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    fail();
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return fail();
  const { u, s, c, k } = parsed.data;
  return { hubUrl: u, secret: s, caFingerprint: c, signingKeyFingerprint: k };
}
