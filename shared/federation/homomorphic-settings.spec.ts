// A task's homomorphic setting: on with `true`, secure aggregation then off unless the task says
// otherwise (and refused when it says on), refused with the method record's reason for strategies
// whose combine step needs each update or state the hub cannot keep on ciphertexts, refused with
// adaptive clipping, and its sums never sized for fewer sites than the task names.
import { describe, expect, it } from 'vitest';
import { homomorphicOn } from './homomorphic-settings.ts';
import { taskDefinitionSchema, type TaskDefinitionInput } from './task-schema.ts';

const task = (overrides: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput => ({
  name: 'he',
  model: { name: 'reference-cnn' },
  input: { size: 32 },
  labels: ['normal', 'nodule'],
  rounds: 2,
  localEpochs: 1,
  batchSize: 8,
  optimizer: { name: 'adam', learningRate: 0.001 },
  strategy: { name: 'fedavg' },
  quorum: 2,
  roundDeadlineSeconds: 60,
  ...overrides,
});

const problems = (input: TaskDefinitionInput) => {
  const parsed = taskDefinitionSchema.safeParse(input);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

const dp = { clipNorm: 1, noiseMultiplier: 1, budget: { epsilon: 8, delta: 1e-5 } };

describe('privacy.homomorphic', () => {
  it('is off by default, and `true` turns it on with secure aggregation off', () => {
    const plain = taskDefinitionSchema.parse(task());
    expect(homomorphicOn(plain)).toBe(false);
    expect(plain.privacy.secureAggregation.enabled).toBe(true);
    const encrypted = taskDefinitionSchema.parse(task({ privacy: { homomorphic: true } }));
    expect(homomorphicOn(encrypted)).toBe(true);
    expect(encrypted.privacy.homomorphic).toEqual({ enabled: true });
    expect(encrypted.privacy.secureAggregation.enabled).toBe(false);
  });

  it('refuses secure aggregation beside it, saying why', () => {
    expect(problems(task({ privacy: { homomorphic: true, secureAggregation: true } }))).toEqual([
      expect.stringMatching(/^privacy.secureAggregation: .*cannot both be on/),
    ]);
  });

  it.each([
    [{ name: 'fedadam' }, /FedAdam|√|square root|values/i],
    [{ name: 'median' }, /reads each site's own update/],
    [{ name: 'cyclic' }, /choose fedavg/],
  ] as const)('refuses %o with the reason in its method record', (strategy, reason) => {
    const found = problems(
      task({
        strategy: strategy as TaskDefinitionInput['strategy'],
        quorum: 1,
        privacy: { homomorphic: true },
      }),
    );
    expect(
      found.some((line) => line.startsWith('privacy.homomorphic: ') && reason.test(line)),
      found.join('\n'),
    ).toBe(true);
  });

  it('takes fedavg, fedprox, fedavgm and fedbn, and differential privacy with a fixed clip norm', () => {
    for (const strategy of [
      { name: 'fedavg' },
      { name: 'fedprox', mu: 0.1 },
      { name: 'fedavgm' },
      { name: 'fedbn' },
    ])
      expect(
        problems(
          task({ strategy: strategy as TaskDefinitionInput['strategy'], privacy: { homomorphic: true } }),
        ),
      ).toEqual([]);
    expect(problems(task({ privacy: { homomorphic: true, differentialPrivacy: dp } }))).toEqual([]);
  });

  it('refuses adaptive clipping, whose bits the hub would have to read', () => {
    const adaptive = { ...dp, noiseMultiplier: 1, adaptiveClipping: { bitNoiseMultiplier: 10 } };
    expect(problems(task({ privacy: { homomorphic: true, differentialPrivacy: adaptive } }))).toEqual([
      expect.stringMatching(/^privacy.differentialPrivacy: Adaptive clipping/),
    ]);
  });

  it('refuses a quorum larger than the sums are sized for', () => {
    expect(problems(task({ quorum: 3, privacy: { homomorphic: { enabled: true, maxSites: 2 } } }))).toEqual([
      expect.stringMatching(/^quorum: An encrypted sum of this task adds at most 2 updates/),
    ]);
  });

  it('refuses sums sized for fewer sites than the task names', () => {
    expect(
      problems(task({ sites: ['A', 'B', 'C'], privacy: { homomorphic: { enabled: true, maxSites: 2 } } })),
    ).toEqual([expect.stringMatching(/^privacy.homomorphic.maxSites: .*names 3 sites/)]);
  });
});
