// FedAvgM (Hsu et al. 2019): FedAvg with momentum on the hub, u ← βu + Δ, w' = w + ηu (the step is
// fedAvgMStep in ../fed-avgm.ts). The velocity u is the state kept between rounds.
import { z } from 'zod';
import { fedAvgMStep } from '../fed-avgm.ts';
import { weightingWords, type MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { allowed } from './privacy-layers.ts';

/** The velocity's tensors are stored under u/. */
const VELOCITY = 'u/';

/**
 * FedAvgM (Hsu et al. 2019): FedAvg with momentum on the server (u ← momentum·u + Δ, w ← w + η·u).
 * Tensors whose last name segment is in plainTensorSuffixes (running statistics) are averaged plainly.
 */
export const fedAvgMSettings = z.object({
  name: z.literal('fedavgm'),
  serverLearningRate: z.number().positive().max(10).default(1),
  momentum: z.number().min(0).lt(1).default(0.9),
  plainTensorSuffixes: z.array(z.string().min(1)).default(['moving_mean', 'moving_variance']),
});

export const fedAvgM: MethodFactory<'fedavgm'> = (settings) => ({
  name: 'fedavgm',
  rhythm: 'round',
  combiner: 'hub',
  participation: everySiteByQuorum,
  combine: {
    input: 'sum',
    step: (global, sum, state) =>
      fedAvgMStep(global, sum.mean(), state?.kind === 'fedavgm' ? state : null, {
        learningRate: settings.serverLearningRate,
        momentum: settings.momentum,
        plainTensorSuffixes: settings.plainTensorSuffixes,
      }),
  },
  serverState: {
    toTensors: (state) =>
      state.kind === 'fedavgm'
        ? state.velocity.map((tensor) => ({ ...tensor, name: `${VELOCITY}${tensor.name}` }))
        : [],
    fromTensors: (tensors, step) => ({
      kind: 'fedavgm',
      step,
      velocity: tensors
        .filter((tensor) => tensor.name.startsWith(VELOCITY))
        .map((tensor) => ({ ...tensor, name: tensor.name.slice(VELOCITY.length) })),
    }),
  },
  site: {
    contributes: 'weight-delta',
    describe: (weighting) =>
      `FedAvgM: the hub averages the sites\u2019 updates, ${weightingWords(weighting)}, ` +
      `and moves the model along the average with momentum (${settings.momentum}) kept from earlier rounds`,
  },
  // The velocity is linear in the sums, so a homomorphic hub can keep it encrypted.
  privacy: { secureAggregation: allowed, differentialPrivacy: allowed, homomorphic: allowed },
});
