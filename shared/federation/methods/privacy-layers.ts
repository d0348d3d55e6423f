// The allowances methods share: a layer taken, or refused with its reason.
import type { Allowance } from './method.ts';

export const allowed: Allowance = { allowed: true };

export function refused(reason: string): Allowance {
  return { allowed: false, reason };
}

/** Secure aggregation refused: the method needs each site's own update, and SecAgg+ shows only the sum. */
export function needsEachUpdate(name: string): Allowance {
  return refused(
    `The ${name} strategy needs each site's own update, but secure aggregation shows the hub only ` +
      'their sum. Set privacy.secureAggregation to false for this strategy, or choose fedavg, fedavgm, fedprox, fedadam or fedbn.',
  );
}

/** Homomorphic aggregation refused: the combiner would need to read each update. */
export function homomorphicNeedsEachUpdate(name: string): Allowance {
  return refused(
    `The ${name} strategy reads each site's own update, and under homomorphic encryption the hub reads ` +
      'nothing; choose fedavg, fedprox, fedavgm or fedbn.',
  );
}
