// The hub's last step: rebuild each survivor's self-mask seed and each dropped site's mask key from
// the shares the survivors revealed (checked against the seed's commitment and the key's public half),
// and strip all masks from the sum. With fewer than t shares for any one site the whole round fails:
// a partly unmasked sum is noise, and nothing is released.
import { SecureAggregationError } from './secagg-error.ts';
import type { MaskedSum } from './masking.ts';
import { neighboursOf } from './neighbourhood.ts';
import { seedCommitment, x25519PublicOf, type PairContext } from './round-keys.ts';
import type { Participant } from '../../federation/index.ts';
import { combineShares } from './secret-shares.ts';

export interface UnmaskInput {
  readonly sum: MaskedSum;
  /** Sites whose masked input is in the sum, with the shares of their self-mask seed. */
  readonly survivors: readonly (Participant & { readonly selfMaskShares: readonly Uint8Array[] })[];
  /** Sites that shared keys but sent no masked input, with the shares of their mask key. */
  readonly dropped: readonly (Participant & { readonly maskKeyShares: readonly Uint8Array[] })[];
  /** n and k of the plan: who masked with whom. */
  readonly participants: number;
  readonly neighbours: number;
  readonly threshold: number;
  readonly context: PairContext;
}

/** Names the sites whose secrets cannot be rebuilt yet (fewer than t shares). */
export function missingShares(input: {
  readonly survivors: readonly { readonly siteId: string; readonly selfMaskShares: { length: number } }[];
  readonly dropped: readonly { readonly siteId: string; readonly maskKeyShares: { length: number } }[];
  readonly threshold: number;
}): string[] {
  return [
    ...input.survivors.filter((s) => s.selfMaskShares.length < input.threshold),
    ...input.dropped.filter((d) => d.maskKeyShares.length < input.threshold),
  ].map((site) => site.siteId);
}

export async function unmaskSum(input: UnmaskInput): Promise<Uint32Array> {
  const short = missingShares(input);
  if (short.length > 0) {
    throw new SecureAggregationError(
      'too-many-dropouts',
      `Too many sites dropped out: the secrets of ${short.length} site${short.length === 1 ? '' : 's'} cannot be rebuilt from the shares that arrived (${input.threshold} needed each); nothing was unmasked.`,
    );
  }
  for (const survivor of input.survivors) {
    const seed = await combineShares(survivor.selfMaskShares, input.threshold);
    if (seedCommitment(seed) !== survivor.selfMaskCommitment) {
      throw new SecureAggregationError(
        'reconstruction-failed',
        "A site's self-mask seed rebuilt from shares does not match what it committed to (a share was altered); nothing was unmasked.",
      );
    }
    input.sum.removeSelfMask(seed);
  }
  for (const gone of input.dropped) {
    const key = await combineShares(gone.maskKeyShares, input.threshold);
    if (x25519PublicOf(key) !== gone.maskPublicKey) {
      throw new SecureAggregationError(
        'reconstruction-failed',
        "A dropped site's mask key rebuilt from shares does not match its public key (a share was altered); nothing was unmasked.",
      );
    }
    const around = new Set(neighboursOf(gone.position, input.participants, input.neighbours));
    for (const survivor of input.survivors) {
      if (!around.has(survivor.position)) continue;
      input.sum.removeDroppedPairMask(survivor, { ...gone, maskPrivateKey: key }, input.context);
    }
  }
  return input.sum.sum;
}
