// FedBN (Li et al. 2021): as FedAvg, but batch-norm tensors (localTensorSuffixes) are not averaged:
// the global model keeps its own values, and each site's stay specific to it.
import { z } from 'zod';
import { isLocalTensor } from '../tensor-names.ts';
import { applyDelta } from '../weighted-delta-sum.ts';
import type { MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { allowed } from './privacy-layers.ts';

/**
 * FedBN (Li et al. 2021): batch-norm parameters and statistics stay at each site. Tensors whose
 * last name segment is in localTensorSuffixes are not averaged; the global model keeps its own.
 */
export const fedBnSettings = z.object({
  name: z.literal('fedbn'),
  localTensorSuffixes: z
    .array(z.string().min(1))
    .min(1)
    .default(['gamma', 'beta', 'moving_mean', 'moving_variance']),
});

export const fedBn: MethodFactory<'fedbn'> = (settings) => ({
  name: 'fedbn',
  rhythm: 'round',
  combiner: 'hub',
  participation: everySiteByQuorum,
  combine: {
    input: 'sum',
    step: (global, sum) => ({
      weights: applyDelta(
        global,
        sum.mean((name) => !isLocalTensor(name, settings.localTensorSuffixes)),
      ),
      serverState: null,
    }),
  },
  serverState: null,
  site: {
    contributes: 'weight-delta',
    describe: () =>
      'FedBN: the hub averages the updates except batch-normalisation layers, which stay specific to each site',
  },
  privacy: { secureAggregation: allowed, differentialPrivacy: allowed, homomorphic: allowed },
});
