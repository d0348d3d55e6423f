// The privacy layers of the robust methods (median, trimmed mean, Krum): each reads every site's own
// update, so neither a masked sum nor an encrypted one will do; differential privacy still applies.
import type { PrivacyLayers } from './method.ts';
import { allowed, homomorphicNeedsEachUpdate, needsEachUpdate } from './privacy-layers.ts';

export function robustPrivacy(name: string): PrivacyLayers {
  return {
    secureAggregation: needsEachUpdate(name),
    differentialPrivacy: allowed,
    homomorphic: homomorphicNeedsEachUpdate(name),
  };
}
