// (Multi-)Krum (Blanchard et al. 2017): the mean of the `select` updates closest to their neighbours,
// tolerating `byzantine` hostile sites. Example counts do not weight it.
import { z } from 'zod';
import { krumDelta } from '../robust-aggregation.ts';
import { applyDelta } from '../weighted-delta-sum.ts';
import type { MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { robustPrivacy } from './robust-privacy.ts';

/** (Multi-)Krum (Blanchard et al. 2017): the mean of the `select` updates closest to their neighbours. */
export const krumSettings = z.object({
  name: z.literal('krum'),
  byzantine: z.number().int().min(0).max(1000).default(1),
  select: z.number().int().min(1).max(1000).default(1),
});

export const krum: MethodFactory<'krum'> = (settings) => ({
  name: 'krum',
  rhythm: 'round',
  combiner: 'hub',
  participation: everySiteByQuorum,
  combine: {
    input: 'each-update',
    step: (global, updates) => ({
      weights: applyDelta(
        global,
        krumDelta(
          updates.map((update) => update.delta),
          settings.byzantine,
          settings.select,
        ),
      ),
      serverState: null,
    }),
  },
  serverState: null,
  site: {
    contributes: 'weight-delta',
    describe: () =>
      `Krum: the hub keeps the ${settings.select} update${settings.select === 1 ? '' : 's'} closest to the others (tolerates ${settings.byzantine} faulty site${settings.byzantine === 1 ? '' : 's'})`,
  },
  privacy: robustPrivacy('krum'),
});
