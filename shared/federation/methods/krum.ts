// (Multi-)Krum (Blanchard et al. 2017): the mean of the `select` updates closest to their neighbours,
// tolerating `byzantine` hostile sites. Example counts do not weight it.
import { krumDelta } from '../robust-aggregation.ts';
import { applyDelta } from '../weighted-delta-sum.ts';
import type { MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { robustPrivacy } from './robust-privacy.ts';

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
