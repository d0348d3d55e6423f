// What a site's update says about its cohort: under patient-level DP the update weighs 1 (its number
// of training images would be a count released without noise), and goes through the upload pipeline
// without DP-FedAvg's clipping or noise (DP-SGD already protected each patient); otherwise it weighs
// its number of training images, as FedAvg wants.
import { describe, expect, it } from 'vitest';
import { testTask } from '../../../hub/testing/test-hub.ts';
import { taskDefinitionSchema, type NamedTensor } from '../../../shared/federation/index.ts';
import { updateWeight } from './round-work.ts';
import { prepareUpdateForUpload } from './update-pipeline.ts';

const patientDp = {
  unit: 'patient' as const,
  l2NormClip: 1,
  noiseMultiplier: 1.5,
  samplingRate: 0.2,
  budget: { epsilon: 8, delta: 1e-5 },
};

const task = (differentialPrivacy: typeof patientDp | null) =>
  taskDefinitionSchema.parse(testTask({ privacy: { secureAggregation: false, differentialPrivacy } }));

describe("a site's update under patient-level DP", () => {
  it('weighs 1 under patient-level DP and its image count without DP', () => {
    expect(updateWeight(task(patientDp), 412)).toBe(1);
    expect(updateWeight(task(null), 412)).toBe(412);
  });

  it('is not clipped or noised again by the upload pipeline', () => {
    const delta: NamedTensor[] = [{ name: 'w', shape: [3], data: Float32Array.from([0.3, -0.2, 0.1]) }];
    const loud = (count: number) => new Float64Array(count).fill(5);
    const prepared = prepareUpdateForUpload({ delta, examples: 1 }, task(patientDp), { gaussian: loud });
    expect(prepared.privacy).toBeNull();
    expect(Array.from(prepared.delta[0]!.data)).toEqual(Array.from(delta[0]!.data));
  });
});
