// The hub's privacy checks at task creation: σ calibrated for a patient-level task that leaves it out,
// a budget that funds fewer rounds than asked refused with what to change, and DP-FedAvg tasks as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  privacySpentAfter,
  stepsPerRoundAt,
  taskDefinitionSchema,
} from '../shared/federation/index.ts';
import { calibrateNoiseMultiplier, epsilonSpent } from '../shared/privacy/index.ts';
import { checkTaskDefinition } from './task-checks.ts';
import { createTask, definitionOf } from './tasks.ts';
import { makeTestHub, testTask, type TestHub } from './testing/test-hub.ts';

let test: TestHub;
beforeAll(async () => {
  test = await makeTestHub();
});
afterAll(() => test.cleanup());

/** A task input with patient-level DP; σ may be left out, which only the hub's input (not the type) allows. */
const patientTask = (overrides: Parameters<typeof testTask>[0], dp: object): unknown => ({
  ...testTask(overrides),
  privacy: { secureAggregation: { enabled: true }, differentialPrivacy: dp },
});

const patient = (extra: object = {}) => ({
  unit: 'patient',
  l2NormClip: 1,
  samplingRate: 0.05,
  budget: { epsilon: 8, delta: 1e-5 },
  ...extra,
});

describe('patient-level DP at task creation', () => {
  it('calibrates σ from the budget when the task leaves it out, and stores it', async () => {
    const input = patientTask({ rounds: 20, localEpochs: 2 }, patient());
    const row = await createTask(test.hub.ctx, input);
    const stored = definitionOf(row);
    const dp = stored.privacy.differentialPrivacy;
    if (dp?.unit !== 'patient') throw new Error('expected patient-level DP');
    // 2 local epochs at q = 0.05: 40 steps a round, 800 in all.
    expect(stepsPerRoundAt(2, 0.05)).toBe(40);
    expect(dp.noiseMultiplier).toBe(
      calibrateNoiseMultiplier({ samplingRate: 0.05, steps: 800, budget: { epsilon: 8, delta: 1e-5 } }),
    );
    const spent = privacySpentAfter(stored, 20);
    expect(spent.epsilon).toBeLessThanOrEqual(8);
    expect(spent.epsilon).toBeGreaterThan(7.9);
    expect(spent.roundsAllowed).toBeGreaterThanOrEqual(20);
  });

  it('says the fewest patients a site needs, since no site has declared its cohort yet', () => {
    const checked = checkTaskDefinition(patientTask({ rounds: 5 }, patient({ noiseMultiplier: 1 })));
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    // reference-cnn (d = 97 410), 5 rounds of 20 steps (T = 100), σ = 1, q = 0.05:
    // ρ = σ√d/(q·N·√T) ≤ 1 needs N ≥ 624.1, so 625.
    expect(checked.warnings.join('\n')).toMatch(
      /The hub cannot check yet whether the noise leaves a useful model.*a site needs at least 625 training patients.*ρ = σ√d\/\(q·N·√T\) ≤ 1.*each site checks its own cohort when it approves the task/,
    );
  });

  it('refuses a σ that the budget cannot fund for every round, naming the σ that can', () => {
    const checked = checkTaskDefinition(patientTask({ rounds: 20 }, patient({ noiseMultiplier: 0.8 })));
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems).toEqual([
      {
        path: 'privacy.differentialPrivacy.budget.epsilon',
        message: expect.stringMatching(
          /^The privacy budget ε = 8\.00 \(δ = 0\.00001\) funds only [1-9]\d* of the task's 20 rounds with noise multiplier σ = 0\.8 over 20 steps per round: raise σ to 0\.\d+ \(that funds every round\), leave noiseMultiplier out to have the hub calibrate it, raise ε, or plan \d+ rounds\.$/,
        ) as unknown,
      },
    ]);
  });

  it('refuses a budget that not even the most noise can fund', () => {
    const checked = checkTaskDefinition(
      patientTask(
        { rounds: 10_000, localEpochs: 1000 },
        patient({ samplingRate: 1, budget: { epsilon: 0.01, delta: 1e-9 } }),
      ),
    );
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems[0]?.message).toMatch(
      /even with the most noise a task may have \(σ = 1000\).*raise ε, or plan fewer rounds or local epochs/,
    );
  });
});

describe('DP-FedAvg tasks as before', () => {
  const dp = { clipNorm: 1, noiseMultiplier: 4, budget: { epsilon: 1.6, delta: 1e-5 } };

  it('parse without a unit, keep their canonical form, and account one Gaussian release per round', () => {
    const definition = taskDefinitionSchema.parse(
      testTask({ rounds: 2, privacy: { differentialPrivacy: dp } }),
    );
    expect(definition.privacy.differentialPrivacy).toEqual(dp);
    expect(canonicalJson(definition.privacy.differentialPrivacy)).toBe(canonicalJson(dp));
    expect(privacySpentAfter(definition, 2).epsilon).toBe(epsilonSpent({ q: 1, sigma: 4 }, 2, 1e-5).epsilon);
    expect(privacySpentAfter(dp, 2).roundsAllowed).toBe(2);
    const site = taskDefinitionSchema.parse(
      testTask({ rounds: 2, privacy: { differentialPrivacy: { ...dp, unit: 'site' } } }),
    );
    expect(privacySpentAfter(site, 2).epsilon).toBe(privacySpentAfter(definition, 2).epsilon);
  });
});
