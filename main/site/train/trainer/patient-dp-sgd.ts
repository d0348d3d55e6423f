// Patient-level DP-SGD (Abadi et al. 2016, with the patient as the record): each step draws a
// Poisson sample of patients, computes ONE gradient per sampled patient (the loss summed over all of
// that patient's images), clips it to L2 norm C over all weights, sums the clipped gradients, adds
// N(0, (σC)²) and divides by the expected number of patients q·N. A patient with three radiographs
// is one record: adding or removing that patient (all three images) moves the noised sum by at most C,
// which is exactly the sensitivity the RDP accountant of the Poisson-subsampled Gaussian assumes.
import { randomBytes } from 'node:crypto';
import type { DpTrainableLayers } from '../../../../shared/federation/index.ts';
import { cryptoGaussian, type GaussianSource } from '../../../../shared/node/privacy/index.ts';
import { tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';

export interface PatientDpSgdOptions {
  /** C: each patient's summed gradient is scaled down to at most this L2 norm over all weights. */
  readonly l2NormClip: number;
  /** σ: the noise std of the summed gradient, in units of C. */
  readonly noiseMultiplier: number;
  /** q: the probability that any one patient takes part in a step (Poisson sampling). */
  readonly samplingRate: number;
  /** Steps of this training run (a round: ceil(localEpochs / q), patientDpStepsPerRound). */
  readonly steps: number;
  /**
   * The tensors trained (DP fine-tuning, shared/federation/dp-trainable-layers.ts); the others keep
   * the starting weights and get no noise. Default 'all'.
   */
  readonly trainableLayers?: DpTrainableLayers;
  /** Tests may pass a silent or fixed source; training uses the cryptographic one. */
  readonly gaussian?: GaussianSource;
  /**
   * Benchmarks only (`radfed bench dp-curve --noise-free-baseline`): the same Poisson steps and the
   * same division by q·N, with neither per-patient clipping nor noise, so NO privacy. The gradient is
   * then one pass over the whole sample: with no patient's output depending on another's, the sum of
   * the per-patient gradients is the gradient of the summed loss, at a fraction of the cost.
   */
  readonly noiseFree?: boolean;
  /**
   * Uniform [0, 1) numbers for the Poisson draw. Default: the cryptographic generator, because the
   * amplification by subsampling holds only while nobody can tell which patients a step used; tests
   * and the benchmark pass a seeded source to replay a run.
   */
  readonly uniform?: () => number;
}

/** A patient's training images as the trainer takes them: images [n, h, w, c] and one-hot labels. */
export interface PatientExamples {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/** Uniform [0, 1) numbers from crypto.randomBytes, 32 bits each (enough for a sampling decision). */
export function cryptoUniform(): () => number {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + 4 > pool.length) {
      pool = randomBytes(4096);
      at = 0;
    }
    const value = pool.readUInt32LE(at) / 2 ** 32;
    at += 4;
    return value;
  };
}

/** Poisson sampling: each of `count` patients independently with probability q (indices, ascending). */
export function poissonSample(count: number, q: number, uniform: () => number): number[] {
  const drawn: number[] = [];
  for (let i = 0; i < count; i++) if (uniform() < q) drawn.push(i);
  return drawn;
}

/** The item indices of each patient, patients in order of first appearance. */
export function groupByPatient(items: readonly { readonly patient: string }[]): number[][] {
  const byPatient = new Map<string, number[]>();
  items.forEach((item, index) => {
    const list = byPatient.get(item.patient);
    if (list) list.push(index);
    else byPatient.set(item.patient, [index]);
  });
  return [...byPatient.values()];
}

/** Checks settings the trainer cannot work with, in words that say what to change. */
export function checkPatientDpSgd(options: PatientDpSgdOptions, patients: number): void {
  const { l2NormClip, noiseMultiplier, samplingRate, steps } = options;
  const problem =
    !(l2NormClip > 0) || !Number.isFinite(l2NormClip)
      ? `the clipping norm must be a positive number (got ${l2NormClip})`
      : !(noiseMultiplier > 0) || !Number.isFinite(noiseMultiplier)
        ? `the noise multiplier must be a positive number (got ${noiseMultiplier})`
        : !(samplingRate > 0 && samplingRate <= 1)
          ? `the sampling rate must be above 0 and at most 1 (got ${samplingRate})`
          : !(Number.isInteger(steps) && steps >= 1)
            ? `the steps per round must be a whole number of at least 1 (got ${steps})`
            : patients < 1
              ? 'the cohort has no patients'
              : null;
  if (problem) throw new TrainError('invalid-option', `Patient-level DP-SGD cannot run: ${problem}.`);
}

/**
 * The mean loss per image of the sampled patients and the noised gradient of every variable (caller
 * disposes both). `lossSumOf` must return the loss SUMMED over a patient's images, and must not let
 * one patient's output depend on another's (no batch statistics: the trainer freezes batch norm).
 * With no patient drawn, the gradient is the noise alone: the step still happens, as the accountant
 * counts it.
 */
export function patientDpSgdGradients(
  lossSumOf: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar,
  patients: readonly PatientExamples[],
  variables: readonly tf.Variable[],
  options: {
    readonly l2NormClip: number;
    readonly noiseMultiplier: number;
    /** q·N: the accountant's analysis divides by the EXPECTED batch, not the realised one (whose
     * size would itself depend on who was drawn, and is not what the noise was calibrated for). */
    readonly expectedPatients: number;
    readonly gaussian?: GaussianSource;
    readonly noiseFree?: boolean;
  },
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  if (options.noiseFree) return noiseFreeGradients(lossSumOf, patients, variables, options.expectedPatients);
  const sums = new Map<string, tf.Tensor>();
  // Summed on the device and never read here: a read per patient waits for the backend to finish
  // (and WebGPU in Node cannot read synchronously at all).
  let lossSum: tf.Scalar | undefined;
  let images = 0;
  for (const patient of patients) {
    const { value, grads } = tf.variableGrads(() => lossSumOf(patient.x, patient.y), [...variables]);
    tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      // min(1, C / norm): a patient's gradient is scaled down only when above C.
      const factor = tf.minimum(1, tf.div(options.l2NormClip, tf.maximum(norm, 1e-12)));
      for (const [name, gradient] of Object.entries(grads)) {
        const clipped = tf.mul(gradient, factor);
        const previous = sums.get(name);
        sums.set(name, tf.keep(previous ? tf.add(previous, clipped) : clipped));
        previous?.dispose();
      }
    });
    const previousLoss = lossSum;
    lossSum = previousLoss ? (tf.add(previousLoss, value) as tf.Scalar) : value;
    if (previousLoss) {
      previousLoss.dispose();
      value.dispose();
    }
    images += patient.x.shape[0] as number;
    for (const g of Object.values(grads)) g.dispose();
  }
  const gaussian = options.gaussian ?? cryptoGaussian;
  const std = options.noiseMultiplier * options.l2NormClip;
  const grads: tf.NamedTensorMap = {};
  for (const variable of variables) {
    const sum = sums.get(variable.name);
    grads[variable.name] = tf.tidy(() => {
      const noise = tf.tensor(
        Float32Array.from(gaussian(variable.size), (v) => v * std),
        variable.shape,
      );
      return tf.div(sum ? tf.add(sum, noise) : noise, options.expectedPatients);
    });
    sum?.dispose();
  }
  const value = lossSum && images > 0 ? tf.div(lossSum, images) : tf.scalar(0);
  lossSum?.dispose();
  return { value: value as tf.Scalar, grads };
}

/** The step without clipping or noise (noiseFree): the summed loss's gradient over q·N, in one pass. */
function noiseFreeGradients(
  lossSumOf: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar,
  patients: readonly PatientExamples[],
  variables: readonly tf.Variable[],
  expectedPatients: number,
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  if (patients.length === 0) {
    const grads: tf.NamedTensorMap = {};
    for (const variable of variables) grads[variable.name] = tf.zerosLike(variable);
    return { value: tf.scalar(0), grads };
  }
  const x = tf.concat(patients.map((p) => p.x));
  const y = tf.concat(patients.map((p) => p.y));
  const images = x.shape[0] as number;
  const { value, grads } = tf.variableGrads(() => lossSumOf(x, y), [...variables]);
  x.dispose();
  y.dispose();
  const scaled: tf.NamedTensorMap = {};
  for (const [name, gradient] of Object.entries(grads)) {
    scaled[name] = tf.div(gradient, expectedPatients);
    gradient.dispose();
  }
  const mean = tf.div(value, images) as tf.Scalar;
  value.dispose();
  return { value: mean, grads: scaled };
}
