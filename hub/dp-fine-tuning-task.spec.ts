// A DP fine-tuning task (patient-level DP on some layers) at creation: the layers it does not train
// stay as the initial model, so the hub refuses such a task without one, saying what to pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../shared/federation/index.ts';
import { createTask, definitionOf } from './tasks.ts';
import { makeTestHub, testTask, testWeights, type TestHub } from './testing/test-hub.ts';

let test: TestHub;
beforeAll(async () => {
  test = await makeTestHub();
});
afterAll(() => test.cleanup());

const fineTuning = (trainableLayers: string) => ({
  ...testTask({ rounds: 20 }),
  privacy: {
    secureAggregation: { enabled: true },
    differentialPrivacy: {
      unit: 'patient',
      l2NormClip: 1,
      noiseMultiplier: 1.557,
      samplingRate: 0.2,
      budget: { epsilon: 8, delta: 1e-5 },
      trainableLayers,
    },
  },
});

describe('a task that trains only some layers under DP', () => {
  it('is refused without initial weights, saying to pass the pre-trained model', async () => {
    await expect(createTask(test.hub.ctx, fineTuning('head'))).rejects.toThrow(
      /needs the pre-trained model the other layers keep: create it with its initial weights \(radfed hub task create --weights FILE\)/,
    );
  });

  it('is created with them, and keeps its layers in the definition every site receives', async () => {
    const row = await createTask(test.hub.ctx, fineTuning('norm-and-head'), encodeWeights(testWeights(3)));
    expect(definitionOf(row).privacy.differentialPrivacy).toMatchObject({ trainableLayers: 'norm-and-head' });
    // Every layer trained: no initial model needed, as before.
    await expect(createTask(test.hub.ctx, fineTuning('all'))).resolves.toBeDefined();
  });
});
