// Trimmed mean (Yin et al. 2018): value by value, the mean after dropping the trimFraction largest and
// smallest of the sites' updates. Example counts do not weight it.
import { z } from 'zod';
import { trimmedMeanDelta } from '../robust-aggregation.ts';
import { applyDelta } from '../weighted-delta-sum.ts';
import type { MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { robustPrivacy } from './robust-privacy.ts';

/** Coordinate-wise mean after dropping the trimFraction largest and smallest values (Yin et al. 2018). */
export const trimmedMeanSettings = z.object({
  name: z.literal('trimmed-mean'),
  trimFraction: z.number().min(0).lt(0.5).default(0.1),
});

export const trimmedMean: MethodFactory<'trimmed-mean'> = (settings) => ({
  name: 'trimmed-mean',
  rhythm: 'round',
  combiner: 'hub',
  participation: everySiteByQuorum,
  combine: {
    input: 'each-update',
    step: (global, updates) => ({
      weights: applyDelta(
        global,
        trimmedMeanDelta(
          updates.map((update) => update.delta),
          settings.trimFraction,
        ),
      ),
      serverState: null,
    }),
  },
  serverState: null,
  site: {
    contributes: 'weight-delta',
    describe: () =>
      `trimmed mean: the hub averages the sites’ updates value by value after dropping the ${Math.round(settings.trimFraction * 100)}% largest and smallest`,
  },
  privacy: robustPrivacy('trimmed-mean'),
});
