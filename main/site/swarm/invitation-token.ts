// The one-time invitation a member hands to a hospital that should join its swarm (by e-mail, phone,
// paper), like the hub's enrollment token (shared/node/federation/enrollment-token.ts): where the inviting
// member probably is, the swarm's id (the hash of its genesis entry, which pins the whole ledger), the
// fingerprint of the inviter's signing key, and the secret. The inviter keeps only the secret's SHA-256.
//   "rfs1." + base64url(JSON { a: inviter address, w: swarm id, k: inviter key fingerprint, s: secret })
import { z } from 'zod';
import { SwarmError } from './swarm-error.ts';

export interface SwarmInvitation {
  /** A hint: the pins (swarm id, key fingerprint) are what the joiner checks. */
  readonly inviterAddress: string;
  readonly swarmId: string;
  readonly inviterKeyFingerprint: string;
  /** base64url of 32 random bytes. */
  readonly secret: string;
}

const PREFIX = 'rfs1.';
/** Long enough for any address, short enough to read out on the phone in a pinch. */
const MAX_TOKEN_LENGTH = 4096;
const payloadSchema = z.strictObject({
  a: z.string().url().max(2048),
  w: z.string().regex(/^[0-9a-f]{64}$/),
  k: z.string().regex(/^[0-9a-f]{32}$/),
  s: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

export function formatSwarmInvitation(invitation: SwarmInvitation): string {
  const payload = {
    a: invitation.inviterAddress,
    w: invitation.swarmId,
    k: invitation.inviterKeyFingerprint,
    s: invitation.secret,
  };
  return PREFIX + Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function parseSwarmInvitation(text: string): SwarmInvitation {
  const trimmed = text.trim();
  const fail = (): never => {
    throw new SwarmError(
      'bad-token',
      'This is not a RadFed swarm invitation (it starts with "rfs1."); copy the whole invitation the inviting hospital gave you.',
    );
  };
  if (!trimmed.startsWith(PREFIX) || trimmed.length > MAX_TOKEN_LENGTH) fail();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(trimmed.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    fail();
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return fail();
  const { a, w, k, s } = parsed.data;
  return { inviterAddress: a, swarmId: w, inviterKeyFingerprint: k, secret: s };
}
