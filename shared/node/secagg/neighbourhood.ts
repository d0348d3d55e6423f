// Who shares secrets with whom (SecAgg+, Bell et al. 2020): the sites of a round are put in an order
// drawn from the round's seed (HMAC-SHA256 of each site id), on a ring; each site's neighbourhood is
// itself and the (k − 1)/2 sites on each side, or every site when k ≥ n. Sites and hub compute it the
// same way from the same seed, so a site can check the hub's plan.
import { createHmac } from 'node:crypto';
import { SecureAggregationError } from './secagg-error.ts';

/** The round's order of the given sites (position = index). */
export function orderSites(seed: string, siteIds: readonly string[]): string[] {
  const key = Buffer.from(seed, 'base64url');
  const tag = (id: string) => createHmac('sha256', key).update(id).digest('hex');
  return [...siteIds]
    .map((id) => ({ id, tag: tag(id) }))
    .sort((a, b) => (a.tag < b.tag ? -1 : 1))
    .map((e) => e.id);
}

/** k for n sites: the setting, or 2·⌈log₂ n⌉ + 1; never more than n. */
export function neighbourhoodSize(sites: number, setting?: number): number {
  const wanted = setting ?? 2 * Math.ceil(Math.log2(Math.max(2, sites))) + 1;
  return Math.min(sites, wanted);
}

/** t: the setting, or a majority of the neighbourhood (at least 2, which Shamir sharing needs). */
export function thresholdFor(neighbourhood: number, setting?: number): number {
  const t = setting ?? Math.floor(neighbourhood / 2) + 1;
  if (t < 2 || t > neighbourhood) {
    throw new SecureAggregationError(
      'bad-plan',
      `A threshold of ${t} cannot work with neighbourhoods of ${neighbourhood} sites; secure aggregation needs at least 2 sites.`,
    );
  }
  return t;
}

/** Positions in the neighbourhood of `position` (itself included), ascending. */
export function neighboursOf(position: number, sites: number, k: number): number[] {
  if (k >= sites) return Array.from({ length: sites }, (_, i) => i);
  const half = (k - 1) / 2;
  const out = new Set<number>();
  for (let offset = -half; offset <= half; offset += 1)
    out.add((((position + offset) % sites) + sites) % sites);
  return [...out].sort((a, b) => a - b);
}
