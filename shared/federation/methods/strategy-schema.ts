// A task's strategy settings: the union of every method's own settings, each defined in its record's
// file. The order is the order errors list the choices in.
import { z } from 'zod';
import { cyclicSettings } from './cyclic.ts';
import { fedAdamSettings } from './fedadam.ts';
import { fedAvgSettings } from './fedavg.ts';
import { fedAvgMSettings } from './fedavgm.ts';
import { fedBnSettings } from './fedbn.ts';
import { fedProxSettings } from './fedprox.ts';
import { krumSettings } from './krum.ts';
import { medianSettings } from './median.ts';
import { splitFedSettings } from './splitfed.ts';
import { swarmSettings } from './swarm.ts';
import { trimmedMeanSettings } from './trimmed-mean.ts';

export const strategySchema = z.discriminatedUnion('name', [
  fedAvgSettings,
  fedProxSettings,
  fedAvgMSettings,
  fedAdamSettings,
  fedBnSettings,
  cyclicSettings,
  // Robust aggregation needs each site's own update: offered only with secure aggregation off.
  medianSettings,
  trimmedMeanSettings,
  krumSettings,
  // Split learning: refused by the hub until its per-step transport is built (the record says why).
  splitFedSettings,
  // Swarm learning: no hub; run by the members on their ledger (the hub refuses it, the record says why).
  swarmSettings,
]);
export type Strategy = z.infer<typeof strategySchema>;
export type StrategyName = Strategy['name'];
