// Patient-level DP-SGD on a small softmax regression: one clipped gradient per PATIENT (an outlier
// patient moves the sum by at most C; a patient with three images is clipped once, as a whole), the
// sum divided by the expected batch q·N, noise σC on the sum, and Poisson sampling that draws each
// patient with probability q (fixed seeds: the figures below are the same on every run).
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import {
  groupByPatient,
  patientDpSgdGradients,
  poissonSample,
  type PatientExamples,
} from './patient-dp-sgd.ts';

const silent = (count: number) => new Float64Array(count);
const ones = (count: number) => new Float64Array(count).fill(1);

let w: tf.Variable;
const lossSumOf = (xs: tf.Tensor, ys: tf.Tensor) =>
  tf.losses.softmaxCrossEntropy(
    ys,
    tf.matMul(xs as tf.Tensor2D, w),
    undefined,
    undefined,
    tf.Reduction.SUM,
  ) as tf.Scalar;

beforeAll(async () => {
  await selectBackend({ choice: 'cpu' });
  w = tf.variable(tf.tensor2d([0.3, -0.2, 0.1, 0.4, -0.5, 0.2], [3, 2]), true, 'patient-dp-test/w');
});

function patient(rows: number[][], labels: number[]): PatientExamples {
  return {
    x: tf.tensor2d(rows),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), 2),
  };
}

/** The patient's summed gradient, by the plain (non-private) path. */
function gradientOf(p: PatientExamples): Float64Array {
  const { value, grads } = tf.variableGrads(() => lossSumOf(p.x, p.y), [w]);
  value.dispose();
  return Float64Array.from(grads[w.name]!.dataSync());
}

const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
const clip = (g: Float64Array, C: number) => g.map((v) => v * Math.min(1, C / norm(g)));

function gradients(patients: PatientExamples[], C: number, expectedPatients: number, gaussian = silent) {
  const { value, grads } = patientDpSgdGradients(lossSumOf, patients, [w], {
    l2NormClip: C,
    noiseMultiplier: 2,
    expectedPatients,
    gaussian,
  });
  value.dispose();
  return Float64Array.from(grads[w.name]!.dataSync());
}

describe('patient-level DP-SGD gradients', () => {
  const quiet = patient([[0.1, 0.2, -0.1]], [0]);
  const small = patient([[0.3, 0.1, 0.2]], [1]);
  // A patient whose image is far out of the range of the others: its raw gradient is huge.
  const outlier = patient([[500, -400, 300]], [1]);

  it('clips each patient to C: with an outlier patient, the result is the clipped sum over q·N', () => {
    const C = 0.5;
    const expectedPatients = 0.25 * 12; // q = 0.25 of 12 patients at the site
    expect(norm(gradientOf(outlier))).toBeGreaterThan(100 * C);
    const expected = new Float64Array(6);
    for (const p of [quiet, small, outlier]) clip(gradientOf(p), C).forEach((v, j) => (expected[j]! += v));
    const got = gradients([quiet, small, outlier], C, expectedPatients);
    got.forEach((v, j) => expect(v).toBeCloseTo(expected[j]! / expectedPatients, 6));
    // The outlier moves the result by at most C / (q·N), whatever its image.
    const without = gradients([quiet, small], C, expectedPatients);
    const moved = norm(got.map((v, j) => v - without[j]!));
    expect(moved).toBeLessThanOrEqual(C / expectedPatients + 1e-6);
    expect(moved).toBeGreaterThan(0.99 * (C / expectedPatients));
  });

  it('counts a patient with three images as one record: their summed gradient is clipped once', () => {
    const C = 0.3;
    const rows = [
      [2, -1, 1],
      [1.5, -2, 0.5],
      [3, -1, 2],
    ];
    const threeImages = patient(rows, [0, 0, 0]);
    const asOne = clip(gradientOf(threeImages), C);
    const asThree = new Float64Array(6);
    rows.forEach((row) => clip(gradientOf(patient([row], [0])), C).forEach((v, j) => (asThree[j]! += v)));
    const got = gradients([threeImages], C, 1);
    got.forEach((v, j) => expect(v).toBeCloseTo(asOne[j]!, 6));
    expect(norm(got)).toBeLessThanOrEqual(C + 1e-6);
    // Three records clipped apart could move the sum by up to 3C; one patient moves it by C.
    expect(norm(asThree)).toBeGreaterThan(2 * C);
  });

  it('adds noise of std σC to the sum (σC/(q·N) to the result), and noise alone when nobody is drawn', () => {
    const C = 0.5;
    const base = gradients([quiet, small], C, 4);
    const shifted = gradients([quiet, small], C, 4, ones);
    shifted.forEach((v, j) => expect(v - base[j]!).toBeCloseTo((2 * C) / 4, 6));
    // An empty Poisson draw is still a step: the accountant counts it, so it must release noise.
    gradients([], C, 4, ones).forEach((v) => expect(v).toBeCloseTo((2 * C) / 4, 6));
  });
});

describe('the noise-free baseline (benchmarks only)', () => {
  it('is the per-patient path with clipping and noise out of reach: the unclipped sum over q·N, in one pass', () => {
    const patients = [
      patient([[0.1, 0.2, -0.1]], [0]),
      patient(
        [
          [2, -1, 1],
          [1.5, -2, 0.5],
        ],
        [1, 0],
      ),
      patient([[500, -400, 300]], [1]),
    ];
    const expected = new Float64Array(6);
    for (const p of patients) gradientOf(p).forEach((v, j) => (expected[j]! += v / 3));
    const perPatient = gradients(patients, 1e9, 3);
    const { value, grads } = patientDpSgdGradients(lossSumOf, patients, [w], {
      l2NormClip: 1,
      noiseMultiplier: 2,
      expectedPatients: 3,
      gaussian: ones,
      noiseFree: true,
    });
    value.dispose();
    const batched = grads[w.name]!.dataSync();
    // Neither C = 1 nor the noise source (all ones) touched it: the outlier's huge gradient is in whole.
    batched.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 3));
    batched.forEach((v, j) => expect(v).toBeCloseTo(perPatient[j]!, 3));
    const empty = patientDpSgdGradients(lossSumOf, [], [w], {
      l2NormClip: 1,
      noiseMultiplier: 2,
      expectedPatients: 3,
      noiseFree: true,
    });
    expect(Array.from(empty.grads[w.name]!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('Poisson sampling of patients', () => {
  it('draws each patient independently with probability q (seeded, so the check cannot flake)', () => {
    const patients = 400;
    const q = 0.1;
    const steps = 2000;
    const random = new SeededRandom(20261207);
    const uniform = () => random.next();
    const timesDrawn = new Uint32Array(patients);
    const sizes: number[] = [];
    for (let s = 0; s < steps; s++) {
      const drawn = poissonSample(patients, q, uniform);
      sizes.push(drawn.length);
      for (const p of drawn) timesDrawn[p]! += 1;
    }
    // Each patient: Binomial(2000, 0.1), mean 200, sd 13.4; every one within 6 sd of the mean.
    for (const n of timesDrawn)
      expect(Math.abs(n - steps * q)).toBeLessThan(6 * Math.sqrt(steps * q * (1 - q)));
    // The batch size varies as Binomial(400, 0.1) (mean 40, variance 36): not a fixed batch.
    const mean = sizes.reduce((a, b) => a + b, 0) / steps;
    const variance = sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / (steps - 1);
    expect(Math.abs(mean - patients * q)).toBeLessThan(0.5);
    expect(variance).toBeGreaterThan(30);
    expect(variance).toBeLessThan(42);
  });

  it('groups a cohort by patient pseudonym, every image of a patient in one group', () => {
    const items = ['a', 'b', 'a', 'c', 'b', 'a'].map((patient, i) => ({
      patient,
      path: `img-${i}`,
      label: 0,
    }));
    expect(groupByPatient(items)).toEqual([[0, 2, 5], [1, 4], [3]]);
  });
});
