// The steps of a patient-level DP-SGD run: a round's steps spread over its epochs, each step a fresh
// Poisson sample of the cohort's PATIENTS (not images) with all of each sampled patient's training
// images, loaded through the same loader (cache, augmentation) as ordinary batches.
import { tf } from '../backend/index.ts';
import type { Batch, BatchLoader, LabelledImage } from '../data/index.ts';
import type { ImageModel, NamedTensor } from '../models/index.ts';
import {
  checkPatientDpSgd,
  patientDpSgdGradients,
  cryptoUniform,
  groupByPatient,
  poissonSample,
  type PatientDpSgdOptions,
} from './patient-dp-sgd.ts';

export interface PatientStep {
  /** Every image of the sampled patients, patient after patient. */
  readonly batch: Batch;
  /** Images of each sampled patient, in the batch's order (the gradient is one per patient). */
  readonly imagesPerPatient: readonly number[];
}

export class PatientDpSteps {
  /** Item indices of each patient of the training cohort. */
  readonly patients: readonly number[][];
  /** q·N: what the noised sum is divided by. */
  readonly expectedPatients: number;
  private readonly uniform: () => number;

  constructor(
    items: readonly LabelledImage[],
    private readonly loader: BatchLoader,
    readonly options: PatientDpSgdOptions,
    private readonly epochs: number,
  ) {
    this.patients = groupByPatient(items);
    checkPatientDpSgd(options, this.patients.length);
    this.expectedPatients = options.samplingRate * this.patients.length;
    this.uniform = options.uniform ?? cryptoUniform();
  }

  /** Steps in `epoch`: the run's steps spread evenly, earlier epochs taking the remainder. */
  stepsIn(epoch: number): number {
    const { steps } = this.options;
    return Math.floor(steps / this.epochs) + (epoch < steps % this.epochs ? 1 : 0);
  }

  async *epoch(epoch: number, signal?: AbortSignal): AsyncGenerator<PatientStep> {
    for (let step = 0; step < this.stepsIn(epoch); step++) {
      if (signal?.aborted) return;
      const drawn = poissonSample(this.patients.length, this.options.samplingRate, this.uniform);
      const groups = drawn.map((p) => this.patients[p]!);
      const indices = Uint32Array.from(groups.flat());
      const batch =
        indices.length > 0
          ? await this.loader.batchOf(epoch, indices)
          : { images: new Float32Array(0), labels: new Int32Array(0), count: 0, indices };
      yield { batch, imagesPerPatient: groups.map((g) => g.length) };
    }
  }

  /**
   * The step's noised gradient, one clipped gradient per sampled patient (tensors live in the caller's
   * tidy). Batch norm runs in inference mode, on the starting weights' running statistics, so that
   * each patient's output depends on that patient alone and no statistic leaves the site un-noised.
   */
  gradients(
    step: PatientStep,
    model: ImageModel,
    trainable: readonly NamedTensor[],
  ): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    // Under DP fine-tuning the leading stages are frozen: they run once on the whole sample, and only
    // the stages with trained tensors run per patient. The same numbers as a forward pass per patient
    // (inference mode: one image's output never depends on another's), at a fraction of the cost.
    const frozen = frozenLeadingStages(model, trainable);
    const rest = model.stages.slice(frozen);
    const lossSumOf = (xs: tf.Tensor, ys: tf.Tensor) =>
      tf.losses.softmaxCrossEntropy(
        ys,
        rest.reduce((h, stage) => stage.apply(h, 'infer'), xs) as tf.Tensor2D,
        undefined,
        undefined,
        tf.Reduction.SUM,
      ) as tf.Scalar;
    const inputs = (x: tf.Tensor) =>
      model.stages.slice(0, frozen).reduce((h, stage) => stage.apply(h, 'infer'), x);
    return patientDpSgdGradients(
      lossSumOf,
      patientExamples(step, model.config.inputSize, model.config.numClasses, inputs),
      trainable.map((p) => p.variable as tf.Variable),
      { ...this.options, expectedPatients: this.expectedPatients },
    );
  }
}

/**
 * How many leading stages hold no trained tensor. 0 unless every tensor of the model belongs to a
 * stage by its name ('<stage>/…'): a tensor of unknown place might be used anywhere.
 */
export function frozenLeadingStages(model: ImageModel, trainable: readonly NamedTensor[]): number {
  const owns = (stage: { readonly name: string }, name: string) => name.startsWith(`${stage.name}/`);
  if (!model.parameters.every((p) => model.stages.some((stage) => owns(stage, p.name)))) return 0;
  let frozen = 0;
  while (frozen < model.stages.length - 1 && !trainable.some((p) => owns(model.stages[frozen]!, p.name))) {
    frozen++;
  }
  return frozen;
}

/** One sampled patient's inputs to the trained stages and one-hot labels per entry. */
function patientExamples(
  step: PatientStep,
  size: number,
  classes: number,
  inputs: (x: tf.Tensor) => tf.Tensor,
) {
  const { batch } = step;
  if (batch.count === 0) return [];
  const x = inputs(tf.tensor4d(batch.images, [batch.count, size, size, 1]));
  const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes);
  const xs = tf.split(x, [...step.imagesPerPatient], 0);
  const ys = tf.split(y, [...step.imagesPerPatient], 0);
  return xs.map((patientX, i) => ({ x: patientX, y: ys[i]! }));
}
