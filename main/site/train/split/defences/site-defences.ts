// The task's defence settings turned into the hooks a SplitSite runs (see SiteCutDefences in
// split-site.ts), after checking that they can run with the task's batch.
import { noPeekBatchProblem, type SplitDefences } from '../../../../../shared/federation/split/index.ts';
import { cryptoGaussian, type GaussianSource } from '../../../../../shared/node/privacy/index.ts';
import { tf } from '../../backend/index.ts';
import type { SiteCutDefences } from '../split-site.ts';
import { addActivationNoise, clipPerImage } from './activation-noise.ts';
import { distanceCorrelation } from './distance-correlation.ts';
import { maxNormGradient } from './gradient-max-norm.ts';
import { SplitDefenceError } from './split-defence-error.ts';

export interface SiteDefenceOptions {
  /** The task's batch size, checked against NoPeek's limit before any step runs. */
  readonly batchSize: number;
  /** Where the noise comes from: the system's cryptographic generator unless a test seeds one. */
  readonly gaussian?: GaussianSource;
}

export function siteCutDefences(defences: SplitDefences, options: SiteDefenceOptions): SiteCutDefences {
  const problem = noPeekBatchProblem(defences, options.batchSize);
  if (problem) throw new SplitDefenceError('batch-too-large', problem);
  const gaussian = options.gaussian ?? cryptoGaussian;
  const { noPeek, activationNoise, gradientMaxNorm } = defences;
  return {
    ...(activationNoise && {
      bound: (activations: tf.Tensor) => clipPerImage(activations, activationNoise.clipNorm),
      perturb: (activations: tf.Tensor) => addActivationNoise(activations, activationNoise, gaussian),
    }),
    ...(noPeek && {
      penalty: (images: tf.Tensor, activations: tf.Tensor) =>
        tf.mul(noPeek.weight, distanceCorrelation(images, activations)) as tf.Scalar,
    }),
    ...(gradientMaxNorm && {
      returnedGradient: (gradient: tf.Tensor) => maxNormGradient(gradient, gaussian),
    }),
  };
}
