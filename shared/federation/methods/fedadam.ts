// FedAdam (Reddi et al. 2021): Adam on the hub with the averaged update as its (negated) gradient
// (the step is fedAdamStep in ../fed-adam.ts). The moments m and v are kept between rounds.
import { z } from 'zod';
import { fedAdamStep } from '../fed-adam.ts';
import type { NamedTensor } from '../tensors.ts';
import type { MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { allowed, refused } from './privacy-layers.ts';

const FIRST_MOMENT = 'm/';
const SECOND_MOMENT = 'v/';

const prefixed = (prefix: string, list: readonly NamedTensor[]) =>
  list.map((tensor) => ({ ...tensor, name: `${prefix}${tensor.name}` }));
const stripped = (prefix: string, list: readonly NamedTensor[]) =>
  list
    .filter((tensor) => tensor.name.startsWith(prefix))
    .map((tensor) => ({ ...tensor, name: tensor.name.slice(prefix.length) }));

/** FedAdam (Reddi et al. 2021): Adam on the server, applied to the averaged update. */
export const fedAdamSettings = z.object({
  name: z.literal('fedadam'),
  serverLearningRate: z.number().positive().max(10).default(0.01),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.99),
  epsilon: z.number().positive().default(1e-3),
});

export const fedAdam: MethodFactory<'fedadam'> = (settings) => ({
  name: 'fedadam',
  rhythm: 'round',
  combiner: 'hub',
  participation: everySiteByQuorum,
  combine: {
    input: 'sum',
    step: (global, sum, state) =>
      fedAdamStep(global, sum.mean(), state?.kind === 'fedadam' ? state : null, {
        learningRate: settings.serverLearningRate,
        beta1: settings.beta1,
        beta2: settings.beta2,
        epsilon: settings.epsilon,
      }),
  },
  serverState: {
    toTensors: (state) =>
      state.kind === 'fedadam'
        ? [...prefixed(FIRST_MOMENT, state.m), ...prefixed(SECOND_MOMENT, state.v)]
        : [],
    fromTensors: (tensors, step) => ({
      kind: 'fedadam',
      step,
      m: stripped(FIRST_MOMENT, tensors),
      v: stripped(SECOND_MOMENT, tensors),
    }),
  },
  site: {
    contributes: 'weight-delta',
    describe: () =>
      `FedAdam: the hub applies the averaged update with Adam (server learning rate ${settings.serverLearningRate})`,
  },
  privacy: {
    secureAggregation: allowed,
    differentialPrivacy: allowed,
    homomorphic: refused(
      'FedAdam divides by the square root of its second moment, which the hub cannot compute on encrypted ' +
        'values; choose fedavg, fedprox, fedavgm or fedbn with homomorphic encryption.',
    ),
  },
});
