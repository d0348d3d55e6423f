// The accountant as tasks use it, in both units: patient-level DP-SGD counts ceil(localEpochs / q)
// subsampled-Gaussian steps a round; DP-FedAvg one Gaussian release a round. Patient-level DP clips
// no update, so the hub's update and clip-bit bounds are those without DP.
import { describe, expect, it } from 'vitest';
import { epsilonSpent, roundsWithinBudget } from '../privacy/index.ts';
import { adaptiveClippingOn } from './adaptive-clipping.ts';
import {
  anotherRoundFits,
  budgetView,
  patientDpStepsPerRound,
  privacySpentAfter,
  stepsPerRoundAt,
} from './privacy-accounting.ts';
import { taskDefinitionSchema, type TaskDefinitionInput } from './task-schema.ts';
import { clipBitBounds, updateNormBound } from './update-bounds.ts';

const task = (overrides: Partial<TaskDefinitionInput> = {}) =>
  taskDefinitionSchema.parse({
    name: 't',
    model: { name: 'reference-cnn' },
    input: { size: 64 },
    labels: ['a', 'b'],
    rounds: 3,
    localEpochs: 2,
    batchSize: 8,
    optimizer: { name: 'adam', learningRate: 0.001 },
    strategy: { name: 'fedavg' },
    quorum: 2,
    roundDeadlineSeconds: 60,
    ...overrides,
  });

const patientDp = {
  unit: 'patient' as const,
  l2NormClip: 1,
  noiseMultiplier: 1.2,
  samplingRate: 0.1,
  budget: { epsilon: 8, delta: 1e-5 },
};

describe('steps per round of patient-level DP-SGD', () => {
  it('is ceil(localEpochs / q), whole quotients included despite their rounding', () => {
    expect(patientDpStepsPerRound(task({ privacy: { differentialPrivacy: patientDp } }))).toBe(20);
    expect(stepsPerRoundAt(3, 0.3)).toBe(10); // 3 / 0.3 = 10.000000000000002
    expect(stepsPerRoundAt(1, 0.15)).toBe(7);
    expect(stepsPerRoundAt(1, 1)).toBe(1);
    expect(() => patientDpStepsPerRound(task())).toThrow(/no patient-level differential privacy/);
  });
});

describe('what a patient-level task spends', () => {
  const definition = task({ privacy: { differentialPrivacy: patientDp } });
  const mechanism = { q: 0.1, sigma: 1.2 };

  it('is the subsampled Gaussian over rounds × steps per round', () => {
    expect(privacySpentAfter(definition, 3).epsilon).toBe(epsilonSpent(mechanism, 60, 1e-5).epsilon);
    expect(privacySpentAfter(definition, 0).roundsAllowed).toBe(
      roundsWithinBudget(mechanism, patientDp.budget, 20),
    );
    const allowed = privacySpentAfter(definition, 0).roundsAllowed;
    expect(anotherRoundFits(definition, allowed - 1)).toBe(true);
    expect(anotherRoundFits(definition, allowed)).toBe(false);
  });

  it('shows the unit, q and the steps in the budget view', () => {
    expect(budgetView(definition, 2)).toMatchObject({
      unit: 'patient',
      clipNorm: 1,
      noiseMultiplier: 1.2,
      samplingRate: 0.1,
      stepsPerRound: 20,
      rounds: 2,
      epsilonSpent: epsilonSpent(mechanism, 40, 1e-5).epsilon,
    });
  });
});

describe('bounds the hub enforces under patient-level DP', () => {
  it('are those without DP: no update clipping, no noise room, no clipping bits', () => {
    const plain = task({ maxUpdateNorm: 7, privacy: { secureAggregation: true } });
    const patient = task({
      maxUpdateNorm: 7,
      privacy: { secureAggregation: true, differentialPrivacy: patientDp },
    });
    expect(updateNormBound(patient, 100_000)).toBe(updateNormBound(plain, 100_000));
    expect(updateNormBound(patient, 100_000)).toBe(7);
    expect(clipBitBounds(patient, 3)).toBeNull();
    expect(adaptiveClippingOn(patient.privacy.differentialPrivacy)).toBe(false);
    // DP-FedAvg still leaves room for its noise.
    const site = task({
      maxUpdateNorm: 7,
      privacy: {
        differentialPrivacy: { clipNorm: 1, noiseMultiplier: 5, budget: { epsilon: 10, delta: 1e-5 } },
      },
    });
    expect(updateNormBound(site, 100_000)).toBeGreaterThan(7);
  });
});
