// FedAvg (McMahan et al. 2017): every joined site trains from the global model; the hub adds the
// mean of their changes, weighted by training examples:  w' = w + Σ nᵢΔᵢ / Σ nᵢ.
import { z } from 'zod';
import { applyDelta } from '../weighted-delta-sum.ts';
import { weightingWords, type MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { allowed } from './privacy-layers.ts';

/** FedAvg's settings: none beyond its name. */
export const fedAvgSettings = z.object({ name: z.literal('fedavg') });

export const fedAvg: MethodFactory<'fedavg'> = () => ({
  name: 'fedavg',
  rhythm: 'round',
  combiner: 'hub',
  participation: everySiteByQuorum,
  combine: {
    input: 'sum',
    step: (global, sum) => ({ weights: applyDelta(global, sum.mean()), serverState: null }),
  },
  serverState: null,
  site: {
    contributes: 'weight-delta',
    describe: (weighting) => `FedAvg: the hub averages the sites\u2019 updates, ${weightingWords(weighting)}`,
  },
  // A weighted sum and a division by Σ nᵢ: all of it works on a masked or encrypted sum.
  privacy: { secureAggregation: allowed, differentialPrivacy: allowed, homomorphic: allowed },
});
