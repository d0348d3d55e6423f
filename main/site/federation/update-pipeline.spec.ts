// Issue 16: the site clipped its own update to maxUpdateNorm over every value, batch norm's running
// statistics included, so a sound round whose statistics moved by 20 over 10,000 values (norm 2,000)
// was scaled down to 1000 at the site: its weights' change halved. The site now bounds as the hub
// does: the norm over the trained values, the statistics value by value (±statisticsClipRange).
import { describe, expect, it } from 'vitest';
import {
  isRunningStatistic,
  taskDefinitionSchema,
  type NamedTensor,
} from '../../../shared/federation/index.ts';
import { testTask } from '../../../hub/testing/test-hub.ts';
import { prepareUpdateForUpload } from './update-pipeline.ts';

const definition = taskDefinitionSchema.parse(testTask());

function update(weight: number, statistic: (i: number) => number): NamedTensor[] {
  return [
    { name: 'conv2d/kernel', shape: [100], data: new Float32Array(100).fill(weight) },
    {
      name: 'bn/moving_mean',
      shape: [5000],
      data: Float32Array.from({ length: 5000 }, (_, i) => statistic(i)),
    },
    { name: 'bn/moving_variance', shape: [5000], data: new Float32Array(5000).fill(20) },
    { name: 'dense/kernel', shape: [10], data: new Float32Array(10).fill(weight) },
  ];
}

describe("the site's own update bound", () => {
  it('leaves a sound update whole: statistics moving by 20 over 10,000 values do not count in the norm', () => {
    const prepared = prepareUpdateForUpload({ delta: update(0.01, () => 20), examples: 50 }, definition);
    expect(prepared.clippedToBound).toBe(false);
    expect(prepared.delta.map((t) => t.data[0])).toEqual([0.01, 20, 20, 0.01].map(Math.fround));
  });

  it('clips the trained values to the norm bound and leaves the statistics as they are', () => {
    const prepared = prepareUpdateForUpload({ delta: update(200, () => 20), examples: 50 }, definition);
    expect(prepared.clippedToBound).toBe(true);
    const trained = prepared.delta.filter((t) => !isRunningStatistic(t.name));
    const norm = Math.sqrt(trained.reduce((s, t) => s + t.data.reduce((a, v) => a + v * v, 0), 0));
    expect(norm).toBeLessThanOrEqual(1000);
    expect(norm).toBeGreaterThan(990);
    expect(prepared.delta[2]!.data[0]).toBe(20);
  });

  it('holds a statistic past ±64 to the bound, so the hub does not refuse the update', () => {
    const prepared = prepareUpdateForUpload(
      { delta: update(0.01, (i) => (i === 3 ? 100 : -20)), examples: 50 },
      definition,
    );
    expect(prepared.delta[1]!.data[3]).toBeLessThanOrEqual(64);
    expect(prepared.delta[1]!.data[3]).toBeGreaterThan(63.9);
    expect(prepared.delta[1]!.data[4]).toBe(-20);
  });
});
