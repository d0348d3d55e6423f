// Shamir sharing of a site's two round secrets (the self-mask seed and the mask private key) with the
// audited `shamir-secret-sharing` package: 32-byte secrets, shares of 33 bytes that carry their own
// x-coordinate. The package cannot tell a wrong share from a right one, so callers check what comes
// out against a commitment (the seed's hash, the key's public half).
import { combine, split } from 'shamir-secret-sharing';
import { SecureAggregationError } from './secagg-error.ts';

export const SHARE_BYTES = 33;

export function splitSecret(secret: Uint8Array, shares: number, threshold: number): Promise<Uint8Array[]> {
  if (secret.byteLength !== 32) throw new SecureAggregationError('bad-share', 'Round secrets are 32 bytes.');
  return split(Uint8Array.from(secret), shares, threshold); // the package wants a plain Uint8Array, not a Buffer
}

export async function combineShares(shares: readonly Uint8Array[], threshold: number): Promise<Uint8Array> {
  if (shares.length < threshold) {
    throw new SecureAggregationError(
      'too-many-dropouts',
      `Only ${shares.length} of the ${threshold} shares needed arrived; the secret cannot be recovered.`,
    );
  }
  if (shares.some((share) => share.byteLength !== SHARE_BYTES)) {
    throw new SecureAggregationError(
      'bad-share',
      `A share is ${SHARE_BYTES} bytes; one that arrived is not.`,
    );
  }
  return combine(shares.slice(0, threshold).map((share) => Uint8Array.from(share)));
}
