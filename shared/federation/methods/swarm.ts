// Swarm learning (Warnat-Herresthal et al., Nature 2021), without HPE's chain: no hub; the members
// keep a countersigned membership ledger, the ledger's commit-reveal seed elects a member to combine
// each round, and that member averages the updates under SecAgg+, so it learns only their sum
// (main/site/swarm, docs/swarm-learning.md). The combine step is FedAvg's on that sum. A hub cannot
// run it: the hub refuses a swarm task at creation (`unavailable`); the members run it with
// `radfed swarm`.
import { z } from 'zod';
import { applyDelta } from '../weighted-delta-sum.ts';
import { weightingWords, type MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { allowed, refused } from './privacy-layers.ts';

/** Swarm learning's settings: none beyond its name (the leader timeout is the swarm task's). */
export const swarmSettings = z.object({ name: z.literal('swarm') });

export const swarm: MethodFactory<'swarm'> = () => ({
  name: 'swarm',
  rhythm: 'round',
  combiner: 'elected-site',
  participation: everySiteByQuorum,
  combine: {
    input: 'sum',
    step: (global, sum) => ({ weights: applyDelta(global, sum.mean()), serverState: null }),
  },
  serverState: null,
  site: {
    contributes: 'weight-delta',
    describe: (weighting) =>
      'swarm learning: there is no hub; each round the swarm\u2019s ledger picks one member, which averages ' +
      `the members\u2019 updates, ${weightingWords(weighting)}, under secure aggregation, so it learns only their sum`,
  },
  privacy: {
    secureAggregation: allowed,
    // Site-level DP-FedAvg: each member clips and adds its share of the noise before masking, and
    // the ledger's aggregate entries carry ε (main/site/swarm/swarm-privacy.ts).
    differentialPrivacy: allowed,
    homomorphic: refused(
      'In a swarm the elected member combines under secure aggregation, not homomorphic encryption; choose fedavg with a hub for that.',
    ),
  },
  unavailable:
    'A swarm task runs with no hub: the members run it among themselves (radfed swarm). A hub cannot run it; ' +
    'choose fedavg to run this task on the hub.',
});
