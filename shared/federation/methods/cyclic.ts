// Cyclic weight transfer (Chang et al. 2018): the model visits the joined sites in turn, one per
// round; the visiting site's change is applied as it is, w' = w + Δ. Nothing is averaged, so the hub
// (and the next site) sees that one site's update: no secure aggregation, and nothing to hide a
// homomorphic sum in.
import { z } from 'zod';
import { FederationError } from '../errors.ts';
import { applyDelta } from '../weighted-delta-sum.ts';
import type { MethodFactory } from './method.ts';
import { oneSiteInTurn } from './participation.ts';
import { allowed, needsEachUpdate, refused } from './privacy-layers.ts';

/** Cyclic weight transfer (Chang et al. 2018): the model visits the joined sites in turn. */
export const cyclicSettings = z.object({ name: z.literal('cyclic') });

export const cyclic: MethodFactory<'cyclic'> = () => ({
  name: 'cyclic',
  rhythm: 'round',
  combiner: 'hub',
  participation: oneSiteInTurn,
  combine: {
    input: 'sum',
    step: (global, sum) => {
      if (sum.updates !== 1) {
        throw new FederationError(
          'bad-strategy',
          `Cyclic weight transfer takes one site's update per round, not ${sum.updates}.`,
        );
      }
      return { weights: applyDelta(global, sum.mean()), serverState: null };
    },
  },
  serverState: null,
  site: {
    contributes: 'weight-delta',
    describe: () =>
      'cyclic weight transfer: the model visits the sites one after another; this site trains on its turn',
  },
  privacy: {
    secureAggregation: needsEachUpdate('cyclic'),
    differentialPrivacy: allowed,
    homomorphic: refused(
      'Cyclic weight transfer applies one site\u2019s update each round: a sum of one update is that update, ' +
        'so homomorphic encryption would hide nothing from the next site; choose fedavg, fedprox, fedavgm or fedbn.',
    ),
  },
});
