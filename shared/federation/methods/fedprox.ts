// FedProx (Li et al. 2020): sites add (μ/2)·‖w − w_global‖² to their loss, so local training stays
// near the global model; the hub's side is FedAvg's.
import { z } from 'zod';
import { applyDelta } from '../weighted-delta-sum.ts';
import type { MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { allowed } from './privacy-layers.ts';

/** FedProx: sites add (mu/2)·‖w − w_global‖² to their loss; the server side is FedAvg. */
export const fedProxSettings = z.object({ name: z.literal('fedprox'), mu: z.number().positive().max(100) });

export const fedProx: MethodFactory<'fedprox'> = (settings) => ({
  name: 'fedprox',
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
    describe: () =>
      `FedProx (\u03bc = ${settings.mu}): the hub averages the updates as FedAvg does; the sites are asked to keep ` +
      'local training close to the global model (this site\u2019s trainer does not add that term yet, so it trains as for FedAvg)',
  },
  privacy: { secureAggregation: allowed, differentialPrivacy: allowed, homomorphic: allowed },
});
