// The demo's privacy switches: the main federation runs with secure aggregation, as every real task
// does by default (`--no-secagg` turns it off, `--dp` adds differential privacy); `--compare` runs the
// same task again without either, after it, so the table shows what the protection costs in accuracy,
// bytes and time, and what it guarantees (ε spent).
import {
  formatEpsilon,
  privacySpentAfter,
  type TaskDefinition,
  type TaskDefinitionInput,
} from '../../shared/federation/index.ts';

export interface DemoPrivacy {
  readonly secureAggregation: boolean;
  readonly differentialPrivacy: boolean;
}

/** What `radfed demo` runs with no flags: what a real task has by default. */
export const DEMO_PROTECTION: DemoPrivacy = { secureAggregation: true, differentialPrivacy: false };
/** The unprotected federation (`--no-secagg`, and the other side of `--compare`). */
export const PLAIN_FEDERATION: DemoPrivacy = { secureAggregation: false, differentialPrivacy: false };

/**
 * DP-FedAvg for the demo's model. Its updates have an L2 norm of about 25–35 after a round (batch-norm
 * statistics included; measured 2026-11-27), so C = 10 clips them to about a third. The noise is what a
 * budget of ε = 100 at δ = 1e-5 allows over 20 rounds; with three sites that much noise costs a lot of
 * accuracy: differential privacy is for federations of many sites, and the table shows why.
 */
export const DEMO_DP = {
  clipNorm: 10,
  noiseMultiplier: 0.5,
  budget: { epsilon: 100, delta: 1e-5 },
} as const;

export function wantsPrivateRun(privacy: DemoPrivacy): boolean {
  return privacy.secureAggregation || privacy.differentialPrivacy;
}

export function privateTaskDefinition(plain: TaskDefinitionInput, privacy: DemoPrivacy): TaskDefinitionInput {
  return {
    ...plain,
    name: `${plain.name} with ${describeDemoPrivacy(privacy)}`,
    privacy: {
      secureAggregation: { enabled: privacy.secureAggregation },
      differentialPrivacy: privacy.differentialPrivacy ? { ...DEMO_DP, budget: { ...DEMO_DP.budget } } : null,
    },
  };
}

export function describeDemoPrivacy(privacy: DemoPrivacy): string {
  const parts = [
    ...(privacy.secureAggregation ? ['secure aggregation'] : []),
    ...(privacy.differentialPrivacy ? ['differential privacy'] : []),
  ];
  return parts.join(' and ') || 'no added protection';
}

/** ε spent by the private task after its published rounds, in words for the table; null without DP. */
export function epsilonSpent(definition: TaskDefinition, publishedRounds: number): string | null {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) return null;
  const spent = privacySpentAfter(definition, publishedRounds);
  return `ε = ${formatEpsilon(spent.epsilon)} at δ = ${dp.budget.delta} after ${publishedRounds} rounds`;
}
