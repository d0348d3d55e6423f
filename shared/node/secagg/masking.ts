// Masking at the site and unmasking at the hub (Bonawitz et al. 2017, §4), all mod 2³²:
//   y_u = x_u + PRG(b_u) + Σ_{v ∈ N(u) that shared keys} ±PRG(s_uv)   (+ when u's position > v's)
// Summed over the survivors, pairwise masks between two survivors cancel; the hub removes each
// survivor's PRG(b_u) (b_u rebuilt from shares) and, for a site d that dropped after sharing keys, the
// masks its surviving neighbours added for it (s_ud from d's rebuilt mask key and u's public key).
import { SecureAggregationError } from './secagg-error.ts';
import { applyMaskStream } from './mask-prg.ts';
import { pairMaskKey, type PairContext } from './round-keys.ts';

export interface PlacedSite {
  readonly siteId: string;
  readonly position: number;
}

export interface MaskNeighbour extends PlacedSite {
  readonly maskPublicKey: string;
}

/** +1 when u adds PRG(s_uv), −1 when it subtracts it. */
export function pairSign(u: PlacedSite, v: PlacedSite): 1 | -1 {
  return u.position > v.position ? 1 : -1;
}

/** Masks the site's quantised vector in place and returns it. */
export function maskInput(
  vector: Uint32Array,
  own: PlacedSite & { readonly maskPrivateKey: string; readonly selfMaskSeed: string },
  neighbours: readonly MaskNeighbour[],
  context: PairContext,
): Uint32Array {
  applyMaskStream(vector, Buffer.from(own.selfMaskSeed, 'base64url'), 1);
  for (const v of neighbours) {
    if (v.siteId === own.siteId) continue;
    const key = pairMaskKey(own.maskPrivateKey, v.maskPublicKey, {
      ...context,
      sites: [own.siteId, v.siteId],
    });
    applyMaskStream(vector, key, pairSign(own, v));
  }
  return vector;
}

/** The hub's running sum of masked vectors, and the removal of the masks once secrets are rebuilt. */
export class MaskedSum {
  readonly sum: Uint32Array;
  private count = 0;

  constructor(readonly length: number) {
    this.sum = new Uint32Array(length);
  }

  get inputs(): number {
    return this.count;
  }

  add(masked: Uint32Array): void {
    if (masked.length !== this.length) {
      throw new SecureAggregationError(
        'bad-masked-input',
        `A masked input has ${masked.length} values; this round's vectors have ${this.length}.`,
      );
    }
    for (let i = 0; i < this.length; i += 1) this.sum[i] = (this.sum[i] as number) + (masked[i] as number);
    this.count += 1;
  }

  removeSelfMask(selfMaskSeed: Uint8Array): void {
    applyMaskStream(this.sum, selfMaskSeed, -1);
  }

  /** Removes what surviving site `u` added for its dropped neighbour `d`. */
  removeDroppedPairMask(
    u: MaskNeighbour,
    d: PlacedSite & { readonly maskPrivateKey: Uint8Array },
    context: PairContext,
  ): void {
    const key = pairMaskKey(d.maskPrivateKey, u.maskPublicKey, { ...context, sites: [u.siteId, d.siteId] });
    applyMaskStream(this.sum, key, pairSign(u, d) === 1 ? -1 : 1);
  }
}
