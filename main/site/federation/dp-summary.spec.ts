// The task summary a site operator reads before approving: differential privacy in plain words.
import { describe, expect, it } from 'vitest';
import { testTask, testTaskView } from '../../../hub/testing/test-hub.ts';
import {
  budgetView,
  taskDefinitionSchema,
  type TaskDefinitionInput,
} from '../../../shared/federation/index.ts';
import { epsilonSpent } from '../../../shared/privacy/index.ts';
import { describeTask } from './task-summary.ts';

const dp = { clipNorm: 1, noiseMultiplier: 4, budget: { epsilon: 1.6, delta: 1e-5 } };

function summary(privacy: object, spentRounds: number | null): string {
  const view = testTaskView({ quorum: 3, privacy: privacy as TaskDefinitionInput['privacy'] });
  const settings = view.definition.privacy.differentialPrivacy;
  view.privacyBudget = settings && spentRounds !== null ? budgetView(view.definition, spentRounds) : null;
  return describeTask({ view, hubUrl: 'https://hub.test', modelValues: 1000, cohort: null }).join('\n');
}

describe('task summary: differential privacy', () => {
  it('states clipping, noise, ε and δ with their meaning, and what was spent', () => {
    const text = summary({ secureAggregation: true, differentialPrivacy: dp }, 1);
    expect(text).toMatch(/length \(L2 norm\) of at most 1 and random noise/);
    // Secure aggregation on, quorum 3: this site adds 4/√3 ≈ 2.31, the sum carries 4.
    expect(text).toMatch(/standard deviation 2\.31, this site’s share: 3 sites’ shares add up to 4\.00/);
    expect(text).toMatch(/Privacy budget: ε = 1\.6, δ = 0\.00001\./);
    expect(text).toMatch(/by at most a factor of 5\.0, except with probability/);
    expect(text).toMatch(/Spent so far: ε = 1\.01 over 1 round; the budget allows 2 rounds in all/);
    expect(text).toMatch(/not the number of training images/);
  });

  it('says a large factor and a tiny δ as numbers a person reads, never in exponent notation', () => {
    const strict = { ...dp, budget: { epsilon: 8, delta: 1e-7 } };
    const text = summary({ secureAggregation: true, differentialPrivacy: strict }, 1);
    // e^8 = 2980.96: the issue saw "3.0e+3 (e^ε)" here.
    expect(text).toMatch(/by at most a factor of about 2,981, except with probability 0\.0000001 \(δ\)/);
    expect(text).not.toMatch(/\de[+-]\d|e\^/);
    // The approval text names no cipher: the key exchange is the threat model's business.
    expect(text).not.toMatch(/X25519|AES-256/);
  });

  it('says a budget past a million-fold factor is hardly any protection, instead of a 44-digit number', () => {
    const loose = { ...dp, noiseMultiplier: 0.5, budget: { epsilon: 100, delta: 1e-5 } };
    const text = summary({ secureAggregation: true, differentialPrivacy: loose }, 1);
    expect(text).toMatch(/by at most a factor of more than a million \(so hardly any protection at all\)/);
    expect(text).not.toMatch(/\d{1,3}(,\d{3}){3,}/);
  });

  it('says plainly when there is no differential privacy', () => {
    const text = summary({ secureAggregation: false }, null);
    expect(text).toMatch(/No differential privacy: the updates carry no noise/);
    expect(text).toMatch(/the number of training images behind each update/);
  });

  it('adds the per-image guarantee of DP-SGD, from this site\u2019s number of training images', () => {
    const definition = taskDefinitionSchema.parse(
      testTask({
        rounds: 2,
        localEpochs: 1,
        batchSize: 8,
        privacy: {
          differentialPrivacy: { ...dp, dpSgd: { l2NormClip: 1, noiseMultiplier: 1.1, microbatches: 8 } },
        },
      }),
    );
    const view = {
      id: 't',
      state: 'active',
      definition,
      createdAt: new Date(0).toISOString(),
      joined: true,
      latestVersion: null,
      failureReason: null,
    } as const;
    const text = describeTask({
      view,
      hubUrl: 'https://hub.test',
      modelValues: 1000,
      cohort: { taskId: 'c', train: 400, validation: 100, patients: 50 },
    }).join('\n');
    // q = 8/400, 2 rounds × 1 epoch × 50 batches = 100 steps at σ = 1.1, δ = 1e-5.
    const expected = epsilonSpent({ q: 8 / 400, sigma: 1.1 }, 100, 1e-5).epsilon;
    expect(text).toMatch(/DP-SGD\): each batch is split into 8 parts/);
    expect(text).toContain(`give each image ε = ${expected.toFixed(2)} (δ = 0.00001)`);
  });
});

describe('task summary: DP fine-tuning (patient-level DP on some layers)', () => {
  const patientDp = {
    unit: 'patient' as const,
    l2NormClip: 1,
    noiseMultiplier: 1.557,
    samplingRate: 0.2,
    budget: { epsilon: 8, delta: 1e-5 },
  };
  it('says which part the site trains and that the rest stays as sent, and counts only that part in d', () => {
    const text = summary(
      { secureAggregation: true, differentialPrivacy: { ...patientDp, trainableLayers: 'head' } },
      null,
    );
    expect(text).toMatch(
      /This site trains only the model’s last layer, .*stays exactly as the coordinator sent it/,
    );
    const all = summary({ secureAggregation: true, differentialPrivacy: patientDp }, null);
    expect(all).not.toMatch(/This site trains only/);
    // The fewest patients follow d: the head's 514 values need far fewer than the whole model's.
    const needed = (t: string) => Number(/needs at least (\d+) training patients/.exec(t)?.[1]);
    expect(needed(text)).toBeLessThan(needed(all) / 10);
  });
});
