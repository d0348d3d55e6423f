// The site's own count under patient-level DP: every update it sent is one round of
// ceil(localEpochs / q) noised training steps, and it trains no round past the task's ε.
import { describe, expect, it } from 'vitest';
import { testTask } from '../../../hub/testing/test-hub.ts';
import { taskDefinitionSchema } from '../../../shared/federation/index.ts';
import { epsilonSpent } from '../../../shared/privacy/index.ts';
import { assertBudgetAllowsAnotherUpdate, siteBudgetView } from './dp-site-budget.ts';

describe('the site’s budget under patient-level DP', () => {
  // q = 0.5, σ = 1, 1 local epoch: 2 steps a round; two rounds spend ε ≈ 7.59, three ≈ 8.98 > 8.
  const definition = taskDefinitionSchema.parse(
    testTask({
      rounds: 2,
      localEpochs: 1,
      privacy: {
        secureAggregation: false,
        differentialPrivacy: {
          unit: 'patient',
          l2NormClip: 1,
          noiseMultiplier: 1,
          samplingRate: 0.5,
          budget: { epsilon: 8, delta: 1e-5 },
        },
      },
    }),
  );
  const sent = (n: number) => ({
    history: Array.from({ length: n }, (_, i) => ({
      round: i + 1,
      outcome: 'submitted' as const,
      reason: null,
      trainSeconds: 1,
      uploadSeconds: 1,
      sentBytes: 1,
      examples: 1,
    })),
  });

  it('counts each update sent as a round of subsampled-Gaussian steps and stops at the budget', () => {
    expect(() => assertBudgetAllowsAnotherUpdate(definition, sent(1))).not.toThrow();
    expect(() => assertBudgetAllowsAnotherUpdate(definition, sent(2))).toThrow(
      /spent its privacy budget.*2 updates sent spent ε = 7\.59 of ε = 8/,
    );
    expect(siteBudgetView(definition, sent(2))).toMatchObject({
      unit: 'patient',
      rounds: 2,
      roundsAllowed: 2,
      stepsPerRound: 2,
      epsilonSpent: epsilonSpent({ q: 0.5, sigma: 1 }, 4, 1e-5).epsilon,
    });
  });
});
