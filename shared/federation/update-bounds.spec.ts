// The hub's bound on one update: the task's maxUpdateNorm, and with differential privacy enough room
// for the Gaussian noise a site adds (the hub must never cut noise the guarantee counts on).
import { describe, expect, it } from 'vitest';
import { examplesBound, l2Norm, unpublishableReason, updateNormBound } from './update-bounds.ts';
import { taskDefinitionSchema, type TaskDefinitionInput } from './task-schema.ts';

const task = (overrides: Partial<TaskDefinitionInput> = {}) =>
  taskDefinitionSchema.parse({
    name: 't',
    model: { name: 'reference-cnn' },
    input: { size: 64 },
    labels: ['a', 'b'],
    rounds: 3,
    localEpochs: 1,
    batchSize: 8,
    optimizer: { name: 'adam', learningRate: 0.001 },
    strategy: { name: 'fedavg' },
    quorum: 2,
    roundDeadlineSeconds: 60,
    privacy: { secureAggregation: false },
    ...overrides,
  });

/** Box–Muller from a fixed linear congruential sequence: the same draws on every run. */
function gaussians(count: number, std: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 2 ** 32;
  };
  return Float32Array.from(
    { length: count },
    () => std * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

describe('updateNormBound', () => {
  it('is the task setting without differential privacy (default 1000)', () => {
    expect(updateNormBound(task(), 100_000)).toBe(1000);
    expect(updateNormBound(task({ maxUpdateNorm: 3 }), 100_000)).toBe(3);
  });

  it('leaves room for the noise of DP-FedAvg: a clipped update plus its noise is never above it', () => {
    const dp = { clipNorm: 1, noiseMultiplier: 5, budget: { epsilon: 10, delta: 1e-5 } };
    for (const privacy of [
      { secureAggregation: false, differentialPrivacy: dp },
      { secureAggregation: true, differentialPrivacy: dp },
    ]) {
      const definition = task({ maxUpdateNorm: 1, privacy });
      const values = 100_000;
      const shares = privacy.secureAggregation ? 2 : 1;
      const bound = updateNormBound(definition, values);
      for (let seed = 1; seed <= 20; seed += 1) {
        const noise = gaussians(values, (5 * 1) / Math.sqrt(shares), seed);
        noise[0] = (noise[0] as number) + 1; // the clipped update itself, norm C = 1
        expect(l2Norm([{ name: 'w', shape: [values], data: noise }])).toBeLessThan(bound);
      }
      // …and not far above it either: the bound stays a bound.
      expect(bound).toBeLessThan(1 + (5 / Math.sqrt(shares)) * (Math.sqrt(values) + 7));
    }
  });
});

describe('examplesBound and unpublishableReason', () => {
  it('takes the smaller of the declaration and the task cap; the cap alone without a declaration', () => {
    expect(examplesBound(task({ maxExamplesPerSite: 500 }), 40)).toBe(40);
    expect(examplesBound(task({ maxExamplesPerSite: 500 }), 4000)).toBe(500);
    expect(examplesBound(task({ maxExamplesPerSite: 500 }), null)).toBe(500);
  });

  it('names the values that are not finite, and passes a finite model', () => {
    const data = Float32Array.of(1, Infinity, Number.NaN, -2);
    expect(unpublishableReason([{ name: 'w', shape: [4], data }])).toMatch(
      /has 2 values that are not finite/,
    );
    expect(unpublishableReason([{ name: 'w', shape: [2], data: Float32Array.of(3.3e38, -1) }])).toBeNull();
  });
});
