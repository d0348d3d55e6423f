// A site's part in the key exchange: split its two round secrets among its neighbourhood (one share
// each, its own kept at home), encrypt each neighbour's pair of shares for that neighbour alone, later
// open the shares it received, and at unmasking reveal, for each neighbour, exactly one kind: the
// self-mask share if the neighbour's masked input arrived, the mask-key share if it dropped out.
import { SecureAggregationError } from './secagg-error.ts';
import type { Participant, SharesRequest, UnmaskRequest } from '../../federation/index.ts';
import { decryptShares, encryptShares, type PairContext, type RoundSecrets } from './round-keys.ts';
import { SHARE_BYTES, splitSecret } from './secret-shares.ts';

/** Shares this site holds, by owner site id: base64url of each 33-byte share. */
export type HeldShares = Record<string, { selfMask: string; maskKey: string }>;

export async function makeShares(options: {
  secrets: RoundSecrets;
  siteId: string;
  /** The neighbourhood from the plan, this site included. */
  neighbours: readonly Participant[];
  threshold: number;
  context: PairContext;
}): Promise<{ request: SharesRequest; own: { selfMask: string; maskKey: string } }> {
  const { secrets, siteId, neighbours, threshold, context } = options;
  if (!neighbours.some((n) => n.siteId === siteId)) {
    throw new SecureAggregationError(
      'bad-plan',
      "The hub's plan leaves this site out of its own neighbourhood.",
    );
  }
  const count = neighbours.length;
  const seedShares = await splitSecret(Buffer.from(secrets.selfMaskSeed, 'base64url'), count, threshold);
  const keyShares = await splitSecret(Buffer.from(secrets.maskPrivateKey, 'base64url'), count, threshold);
  const request: SharesRequest = { shares: [] };
  let own: { selfMask: string; maskKey: string } | null = null;
  neighbours.forEach((neighbour, index) => {
    const selfMask = seedShares[index] as Uint8Array;
    const maskKey = keyShares[index] as Uint8Array;
    if (neighbour.siteId === siteId) {
      own = { selfMask: b64(selfMask), maskKey: b64(maskKey) };
      return;
    }
    const plaintext = Buffer.concat([selfMask, maskKey]);
    request.shares.push({
      to: neighbour.siteId,
      ciphertext: encryptShares(plaintext, secrets.sharePrivateKey, neighbour.sharePublicKey, {
        ...context,
        from: siteId,
        to: neighbour.siteId,
      }),
    });
  });
  return { request, own: own as unknown as { selfMask: string; maskKey: string } };
}

export function openShares(options: {
  incoming: readonly { from: string; ciphertext: string }[];
  secrets: RoundSecrets;
  siteId: string;
  neighbours: readonly Participant[];
  context: PairContext;
}): HeldShares {
  const held: HeldShares = {};
  for (const message of options.incoming) {
    const sender = options.neighbours.find((n) => n.siteId === message.from);
    if (!sender || sender.siteId === options.siteId) {
      throw new SecureAggregationError(
        'bad-plan',
        'The hub passed on shares from a site outside this neighbourhood.',
      );
    }
    const plaintext = decryptShares(
      message.ciphertext,
      options.secrets.sharePrivateKey,
      sender.sharePublicKey,
      {
        ...options.context,
        from: sender.siteId,
        to: options.siteId,
      },
    );
    if (plaintext.byteLength !== 2 * SHARE_BYTES) {
      throw new SecureAggregationError('bad-share', 'Shares from a neighbouring site have the wrong size.');
    }
    held[sender.siteId] = {
      selfMask: b64(plaintext.subarray(0, SHARE_BYTES)),
      maskKey: b64(plaintext.subarray(SHARE_BYTES)),
    };
  }
  return held;
}

/**
 * What this site reveals at unmasking. `alreadyRevealed` holds what it revealed before (a retry, a
 * restart): a neighbour once named a survivor is never revealed as dropped, and the reverse, so the
 * hub can never collect both kinds of share of one site from this site.
 */
export function revealShares(options: {
  held: HeldShares;
  survived: readonly string[];
  dropped: readonly string[];
  threshold: number;
  alreadyRevealed?: Record<string, 'self-mask' | 'mask-key'>;
}): { request: UnmaskRequest; revealed: Record<string, 'self-mask' | 'mask-key'> } {
  const { held, survived, dropped } = options;
  const both = survived.find((siteId) => dropped.includes(siteId));
  if (both) {
    throw new SecureAggregationError(
      'bad-plan',
      'The hub named one site both survived and dropped; nothing is revealed.',
    );
  }
  if (survived.length < options.threshold) {
    throw new SecureAggregationError(
      'too-many-dropouts',
      `Only ${survived.length} sites of this neighbourhood sent masked inputs, fewer than the ${options.threshold} needed; nothing is revealed.`,
    );
  }
  const revealed: Record<string, 'self-mask' | 'mask-key'> = { ...options.alreadyRevealed };
  const request: UnmaskRequest = { selfMaskShares: [], maskKeyShares: [] };
  for (const [owner, kind] of [
    ...survived.map((s) => [s, 'self-mask'] as const),
    ...dropped.map((s) => [s, 'mask-key'] as const),
  ]) {
    const shares = held[owner];
    if (!shares) continue; // a neighbour that never shared keys with this site
    if (revealed[owner] && revealed[owner] !== kind) {
      throw new SecureAggregationError(
        'bad-plan',
        'The hub asked for a different kind of share than this site revealed before for the same neighbour; nothing more is revealed.',
      );
    }
    revealed[owner] = kind;
    if (kind === 'self-mask') request.selfMaskShares.push({ owner, share: shares.selfMask });
    else request.maskKeyShares.push({ owner, share: shares.maskKey });
  }
  return { request, revealed };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
