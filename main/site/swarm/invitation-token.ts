// The one-time invitation a member hands to a hospital that should join its swarm (by e-mail, phone,
// paper), like the hub's enrollment token (shared/node/federation/enrollment-token.ts): where the inviting
// member probably is, the swarm's id (the hash of its genesis entry, which pins the whole ledger), the
// fingerprint of the inviter's signing key, and the secret. The inviter keeps only the secret's SHA-256.
//   "rfs1." + base64url(JSON { a: inviter address, w: swarm id, k: inviter key fingerprint, s: secret })
import { z } from 'zod';
import { formatPrefixedToken, parsePrefixedToken } from '../../../shared/node/federation/index.ts';
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
const payloadSchema = z.strictObject({
  a: z.string().url().max(2048),
  w: z.string().regex(/^[0-9a-f]{64}$/),
  k: z.string().regex(/^[0-9a-f]{32}$/),
  s: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

export function formatSwarmInvitation(invitation: SwarmInvitation): string {
  return formatPrefixedToken(PREFIX, {
    a: invitation.inviterAddress,
    w: invitation.swarmId,
    k: invitation.inviterKeyFingerprint,
    s: invitation.secret,
  });
}

export function parseSwarmInvitation(text: string): SwarmInvitation {
  const payload = parsePrefixedToken(text, PREFIX, payloadSchema);
  if (!payload) {
    throw new SwarmError(
      'bad-token',
      'This is not a RadFed swarm invitation (it starts with "rfs1."); copy the whole invitation the inviting hospital gave you.',
    );
  }
  const { a, w, k, s } = payload;
  return { inviterAddress: a, swarmId: w, inviterKeyFingerprint: k, secret: s };
}
