// DP fine-tuning's task option: which tensors are trained, the d the noise-to-signal rule reads from
// it, and that it changes nothing of the accounting (ε depends on q, σ and the steps, never on d).
import { describe, expect, it } from 'vitest';
import { isDpTrainable } from './dp-trainable-layers.ts';
import { modelValueCount } from './model-size.ts';
import { patientDpNoiseShape } from './patient-dp-noise-shape.ts';
import { privacySpentAfter } from './privacy-accounting.ts';
import { taskDefinitionSchema, type TaskDefinitionInput } from './task-schema.ts';

const patientDp = {
  unit: 'patient' as const,
  l2NormClip: 1,
  noiseMultiplier: 1.557,
  samplingRate: 0.2,
  budget: { epsilon: 8, delta: 1e-5 },
};

const task = (differentialPrivacy: Record<string, unknown>, overrides: Partial<TaskDefinitionInput> = {}) =>
  taskDefinitionSchema.parse({
    name: 't',
    model: { name: 'resnet-small-gn' },
    input: { size: 64 },
    labels: ['no nodule', 'nodule'],
    rounds: 20,
    localEpochs: 1,
    batchSize: 16,
    optimizer: { name: 'adam', learningRate: 0.001 },
    strategy: { name: 'fedavg' },
    quorum: 2,
    roundDeadlineSeconds: 60,
    privacy: { differentialPrivacy },
    ...overrides,
  });

describe('the layers patient-level DP-SGD trains', () => {
  it('selects the classifier, or the classifier and the normalisation scales and shifts', () => {
    const names = [
      'stem/conv/kernel',
      'stem/bn/gamma',
      'stem/bn/moving_mean',
      'block2/bn_shortcut/beta',
      'block2/conv1/kernel',
      'head/kernel',
      'head/bias',
    ];
    expect(names.filter((n) => isDpTrainable(n, 'head'))).toEqual(['head/kernel', 'head/bias']);
    expect(names.filter((n) => isDpTrainable(n, 'norm-and-head'))).toEqual([
      'stem/bn/gamma',
      'block2/bn_shortcut/beta',
      'head/kernel',
      'head/bias',
    ]);
    expect(names.every((n) => isDpTrainable(n, 'all'))).toBe(true);
  });

  it('is a task option, absent meaning every layer, and an unknown selection is refused by name', () => {
    expect(task(patientDp).privacy.differentialPrivacy).not.toHaveProperty('trainableLayers');
    expect(task({ ...patientDp, trainableLayers: 'head' }).privacy.differentialPrivacy).toMatchObject({
      trainableLayers: 'head',
    });
    const refused = taskDefinitionSchema.safeParse({
      ...task(patientDp),
      privacy: { differentialPrivacy: { ...patientDp, trainableLayers: 'backbone' } },
    });
    expect(refused.success).toBe(false);
    expect(JSON.stringify(refused.error?.issues)).toMatch(/head/);
  });

  it('gives the noise-to-signal rule the trained values only: 514 for the head of resnet-small-gn', () => {
    const all = task(patientDp);
    expect(patientDpNoiseShape(all)).toEqual({ modelValues: modelValueCount(all), steps: 100 });
    expect(patientDpNoiseShape(task({ ...patientDp, trainableLayers: 'all' })).modelValues).toBe(
      modelValueCount(all),
    );
    expect(patientDpNoiseShape(task({ ...patientDp, trainableLayers: 'head' }))).toEqual({
      modelValues: 2 * 128 * 2 + 2,
      steps: 100,
    });
    // 2 × (16 + 3 × (32 + 64 + 128)) normalisation scales and shifts, and the head.
    expect(patientDpNoiseShape(task({ ...patientDp, trainableLayers: 'norm-and-head' })).modelValues).toBe(
      1376 + 514,
    );
  });

  it('leaves the accounting as it was: the same ε after every round, whatever is trained', () => {
    for (const rounds of [1, 7, 20]) {
      const spent = privacySpentAfter(task(patientDp), rounds);
      for (const trainableLayers of ['head', 'norm-and-head', 'all']) {
        expect(privacySpentAfter(task({ ...patientDp, trainableLayers }), rounds)).toEqual(spent);
      }
    }
  });
});
