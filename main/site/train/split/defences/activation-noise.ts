// Clipping and Gaussian noise on the activations at cut 1, before they leave the site. Clipping bounds
// how much of any one image the activations can carry; the noise blurs what is left. The noise's scale
// is relative to the clip (its length about noiseMultiplier × clipNorm per image), so one setting means
// the same for any cut's size. It is not a differential-privacy guarantee: nothing is accounted.
import type { ActivationNoiseSettings } from '../../../../../shared/federation/split/index.ts';
import type { GaussianSource } from '../../../../../shared/node/privacy/index.ts';
import { tf } from '../../backend/index.ts';

/** Each image's activations scaled down to an L2 norm of at most `clipNorm` (differentiable). */
export function clipPerImage(activations: tf.Tensor, clipNorm: number): tf.Tensor {
  return tf.tidy(() => {
    const batch = activations.shape[0]!;
    const flat = tf.reshape(activations, [batch, -1]);
    const norms = tf.sqrt(tf.add(tf.sum(tf.square(flat), 1, true), 1e-12));
    const scale = tf.minimum(1, tf.div(clipNorm, norms));
    return tf.reshape(tf.mul(flat, scale), activations.shape);
  });
}

/** The standard deviation of the noise on each value, for activations of `valuesPerImage` values. */
export function activationNoiseStd(settings: ActivationNoiseSettings, valuesPerImage: number): number {
  return (settings.noiseMultiplier * settings.clipNorm) / Math.sqrt(valuesPerImage);
}

/** Gaussian noise of the settings' scale added to every value (not differentiated: the identity). */
export function addActivationNoise(
  activations: tf.Tensor,
  settings: ActivationNoiseSettings,
  gaussian: GaussianSource,
): tf.Tensor {
  const perImage = activations.size / activations.shape[0]!;
  const std = activationNoiseStd(settings, perImage);
  if (std === 0) return activations.clone();
  const noise = Float32Array.from(gaussian(activations.size), (z) => z * std);
  return tf.tidy(() => tf.add(activations, tf.tensor(noise, activations.shape, 'float32')));
}
