// Coordinate-wise median of the sites' updates (Yin et al. 2018), robust to a minority of faulty
// sites. Example counts do not weight it (see ../robust-aggregation.ts).
import { z } from 'zod';
import { medianDelta } from '../robust-aggregation.ts';
import { applyDelta } from '../weighted-delta-sum.ts';
import type { MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { robustPrivacy } from './robust-privacy.ts';

/** Coordinate-wise median of the sites' updates (Yin et al. 2018). */
export const medianSettings = z.object({ name: z.literal('median') });

export const median: MethodFactory<'median'> = () => ({
  name: 'median',
  rhythm: 'round',
  combiner: 'hub',
  participation: everySiteByQuorum,
  combine: {
    input: 'each-update',
    step: (global, updates) => ({
      weights: applyDelta(global, medianDelta(updates.map((update) => update.delta))),
      serverState: null,
    }),
  },
  serverState: null,
  site: {
    contributes: 'weight-delta',
    describe: () =>
      'median: the hub takes the median of the sites’ updates, value by value (robust to a faulty site)',
  },
  privacy: robustPrivacy('median'),
});
