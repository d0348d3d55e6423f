// The methods `radfed demo --compare` sets side by side (issue 20): every collaborative method of the
// seed paper on the same hospitals, the same data and the same test set. Each hub task here is the
// demo's own task with one thing changed (the method, or the protection of FedAvg's updates); swarm
// learning has no hub and runs on the same sites after them (swarm-federation.ts). What the
// coordinator may see is read from each task's method record and privacy settings, not from its name.
import {
  federationMethod,
  type TaskDefinition,
  type TaskDefinitionInput,
} from '../../shared/federation/index.ts';
import { calibrateNoiseMultiplier } from '../../shared/privacy/index.ts';
import type { DemoTaskSpec } from './demo-hub.ts';
import { demoTaskDefinition, type DemoSettings } from './demo-options.ts';
import {
  DEMO_PROTECTION,
  describeDemoPrivacy,
  PLAIN_FEDERATION,
  privateTaskDefinition,
  type DemoPrivacy,
} from './demo-privacy.ts';
import { splitTaskDefinition } from './demo-split.ts';

/**
 * What the one who combines the updates can see of a hospital's contribution: its own update, only
 * the sum of all, nothing at all (ciphertexts), the activations at split learning's cut (with the sum
 * of the segment updates); for swarm learning, what the elected peer sees (there is no coordinator);
 * for the yardsticks, nothing leaves (local-only) or every image does (pooled).
 */
export type Visibility =
  | 'each-update'
  | 'sum'
  | 'noised-sum'
  | 'nothing'
  | 'activations'
  | 'peer-sum'
  | 'nothing-leaves'
  | 'every-image';

export const VISIBILITY_WORDS: Record<Visibility, string> = {
  'each-update': 'each site\u2019s update',
  sum: 'only the sum of the updates',
  'noised-sum': 'only the sum, with DP noise',
  nothing: 'nothing (ciphertexts only)',
  activations: 'activations at the cut; only the sum of the segments',
  'peer-sum': 'no coordinator; the elected peer sees only the sum',
  'nothing-leaves': 'no coordinator; nothing leaves the site',
  'every-image': 'every image (the reference, not a method)',
};

/** One hub task of the comparison. */
export interface CompareMethod {
  /** Stable key for machines (--json). */
  readonly key: string;
  /** The row's name in the table. */
  readonly label: string;
  readonly spec: DemoTaskSpec;
}

/** The privacy budget of the DP row: ε = 8 at δ = 1e-5, as the demo's `--dp`. */
export const COMPARE_DP_BUDGET = { epsilon: 8, delta: 1e-5 } as const;

/**
 * FedAvg with secure aggregation and DP-FedAvg at the site level (McMahan et al. 2018): each site clips
 * its update to L2 norm 1 and adds its share of the noise, the masked sum carrying N(0, (zC)²), z
 * calibrated so the task's rounds spend ε = 8. Patient-level DP-SGD (`--dp`) would be the better unit for
 * three hospitals, but with the demo's cohorts every hospital refuses it at approval (it needs about 900
 * patients per hospital: docs/differential-privacy.md), so the comparison shows the unit that runs here.
 */
export function siteLevelDpDefinition(plain: TaskDefinitionInput): TaskDefinitionInput {
  const noiseMultiplier = calibrateNoiseMultiplier({
    samplingRate: 1,
    steps: plain.rounds,
    budget: COMPARE_DP_BUDGET,
  });
  const secure = privateTaskDefinition(plain, DEMO_PROTECTION);
  return {
    ...secure,
    name: `${plain.name} with secure aggregation and site-level differential privacy`,
    model: plain.model,
    privacy: {
      ...secure.privacy,
      differentialPrivacy: { unit: 'site', clipNorm: 1, noiseMultiplier, budget: { ...COMPARE_DP_BUDGET } },
    },
  };
}

function spec(input: TaskDefinitionInput, privacy: DemoPrivacy, protection = describeDemoPrivacy(privacy)) {
  return { input, privacy, protection };
}

/** The comparison's hub tasks, in the order they run (the cheapest first). */
export function compareMethods(settings: DemoSettings): CompareMethod[] {
  const plain = demoTaskDefinition(settings);
  const secure = privateTaskDefinition(plain, DEMO_PROTECTION);
  const homomorphic: DemoPrivacy = {
    secureAggregation: false,
    differentialPrivacy: false,
    homomorphic: true,
  };
  return [
    {
      key: 'cyclic',
      label: 'Cyclic weight transfer',
      spec: spec({ ...plain, name: `${plain.name}, cyclic`, strategy: { name: 'cyclic' } }, PLAIN_FEDERATION),
    },
    { key: 'fedavg', label: 'FedAvg (FedAvgM)', spec: spec(plain, PLAIN_FEDERATION) },
    {
      key: 'split',
      label: 'Split learning (SplitFed) + SecAgg',
      spec: spec(splitTaskDefinition(secure), DEMO_PROTECTION),
    },
    { key: 'secagg', label: 'FedAvg + secure aggregation', spec: spec(secure, DEMO_PROTECTION) },
    {
      key: 'dp',
      label: `FedAvg + SecAgg + DP (site level, \u03b5 = ${COMPARE_DP_BUDGET.epsilon})`,
      spec: spec(
        siteLevelDpDefinition(plain),
        { secureAggregation: true, differentialPrivacy: true },
        'secure aggregation and site-level differential privacy',
      ),
    },
    {
      key: 'homomorphic',
      label: 'FedAvg + homomorphic encryption',
      spec: spec(privateTaskDefinition(plain, homomorphic), homomorphic),
    },
  ];
}

/** What the combiner of a hub task sees, from its method record and its privacy settings. */
export function visibilityOf(definition: TaskDefinition): Visibility {
  const method = federationMethod(definition.strategy);
  const privacy = definition.privacy;
  if (privacy.homomorphic.enabled) return 'nothing';
  if (method.rhythm === 'step') return 'activations';
  if (privacy.secureAggregation.enabled) return privacy.differentialPrivacy ? 'noised-sum' : 'sum';
  return 'each-update';
}
