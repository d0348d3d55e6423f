// A homomorphic task's encoding: the value bound is the task's update bound times a weight cap from
// the declared cohorts (1 with differential privacy, where every update weighs 1), each value is
// weighted and never clipped, the weight rides along as the last value, and the decrypted vector
// becomes the weighted sum the method takes.
import { describe, expect, it } from 'vitest';
import { layoutOf, taskDefinitionSchema, type NamedTensor } from '../../federation/index.ts';
import { EncryptedSummation, SiteCipher, createTaskSecretKey } from './ckks-summation.ts';
import { encodingOf, homomorphicParameters, sumFromVector, updateVector } from './task-update.ts';

const task = (privacy: Record<string, unknown>) =>
  taskDefinitionSchema.parse({
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
    sites: ['A', 'B', 'C'],
    privacy,
  });

const delta = (values: number[]): NamedTensor[] => [
  { name: 'w', shape: [values.length - 1], data: Float32Array.from(values.slice(0, -1)) },
  { name: 'b', shape: [1], data: Float32Array.from(values.slice(-1)) },
];

describe('homomorphic task encoding', () => {
  it('sizes the bound from the update bound and the largest declared cohort, and from 1 under differential privacy', () => {
    const plain = homomorphicParameters(task({ homomorphic: true }), 64);
    expect(plain).toMatchObject({ maxSites: 3, valueBound: 1000 * 128 });
    expect(encodingOf(task({ homomorphic: true }), plain)).toEqual({ valueRange: 1000, weightCap: 128 });
    const dp = { clipNorm: 1, noiseMultiplier: 1, budget: { epsilon: 8, delta: 1e-5 } };
    const private_ = task({ homomorphic: true, differentialPrivacy: dp });
    // The clipped change (≤ C = 1) plus 10 standard deviations of the site's noise (σ·C = 1).
    expect(homomorphicParameters(private_, 64).valueBound).toBe(11);
    expect(encodingOf(private_, homomorphicParameters(private_, 64)).weightCap).toBe(1);
  });

  it('refuses a key made for the old clipped encoding (±4 per value) instead of decoding it wrongly', () => {
    const old = { ...homomorphicParameters(task({ homomorphic: true }), 64), valueBound: 4 * 128 };
    expect(() => encodingOf(task({ homomorphic: true }), old)).toThrow(/older encoding .* start a new task/);
  });

  it('weights each value without clipping it, carries the weight last, and decodes to the weighted mean', () => {
    const encoding = { valueRange: 1000, weightCap: 128 };
    // A batch-norm variance that moved by 6 in the round: the old encoding clipped it to 4 (±0.5 in
    // the first demo run); the plain sum keeps it, and so must the encrypted one.
    const a = updateVector(delta([0.5, -6, 1]), 10, encoding);
    expect(Array.from(a.values)).toEqual([5, -60, 10, 10_000]);
    expect(a.clippedValues).toBe(0);
    const b = updateVector(delta([1, 1, 1]), 500, encoding); // more images than W: counts as W
    expect(b.weight).toBe(128);
    const summed = a.values.map((value, i) => value + b.values[i]!);
    const sum = sumFromVector(Float64Array.from(summed), layoutOf(delta([0, 0, 0])), encoding, 2);
    expect(sum.examples).toBe(138);
    const mean = sum.mean();
    expect(mean[0]!.data[0]).toBeCloseTo((10 * 0.5 + 128) / 138, 6);
    expect(mean[0]!.data[1]).toBeCloseTo((10 * -6 + 128) / 138, 6);
    // A weight total that the receipt's count of updates cannot carry: an update added twice.
    expect(() =>
      sumFromVector(
        Float64Array.from([...summed.slice(0, 3), 1000 * 300]),
        layoutOf(delta([0, 0, 0])),
        encoding,
        2,
      ),
    ).toThrow(/weight of 300, which 2 updates cannot carry \(1 to 128 each\)/);
    expect(() => sumFromVector(Float64Array.from([1, 2]), layoutOf(delta([0, 0, 0])), encoding, 1)).toThrow(
      /holds 2 values, but this task's model needs 4/,
    );
  });

  it('refuses a value that is not a finite number', () => {
    expect(() => updateVector(delta([Number.NaN, 0, 0]), 1, { valueRange: 4, weightCap: 1 })).toThrow(
      /not a finite number/,
    );
  });

  it('refuses a decrypted sum holding a value no honest updates can carry: one site encrypted beyond the task range', async () => {
    const definition = task({ homomorphic: true });
    const parameters = homomorphicParameters(definition, 20);
    const encoding = encodingOf(definition, parameters);
    const key = await createTaskSecretKey(parameters);
    const site = await SiteCipher.withKey(parameters, key);
    const hub = await EncryptedSummation.open(parameters, key.keyId);
    try {
      const layout = layoutOf(delta([0, 0, 0]));
      const honest = [
        updateVector(delta([0.5, -0.2, 0.1]), 10, encoding).values,
        updateVector(delta([0.1, 0.3, -0.4]), 12, encoding).values,
      ];
      // What the site agent would never send: weight 1, and a value at the encryption's bound B = c·W
      // (SEAL takes it: the hub cannot see what is inside a ciphertext).
      const hostile = Float64Array.from([parameters.valueBound, 0, 0, encoding.valueRange]);
      const sumOf = (vectors: Float64Array[]) =>
        site.decrypt(hub.sum(vectors.map((vector) => site.encrypt(vector)))).values;
      // Honest updates pass, within CKKS's error, and decode to their weighted mean.
      const mean = sumFromVector(sumOf(honest), layout, encoding, 2).mean();
      expect(mean[0]!.data[0]).toBeCloseTo((10 * 0.5 + 12 * 0.1) / 22, 5);
      expect(() => sumFromVector(sumOf([...honest, hostile]), layout, encoding, 3)).toThrow(
        /larger than 3 updates of this task can carry: a site encrypted an update outside the task's bound/,
      );
    } finally {
      site.dispose();
      hub.dispose();
    }
  });
});
