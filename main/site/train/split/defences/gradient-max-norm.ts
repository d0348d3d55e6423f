// Max norm (Li et al. 2021, "Label leakage and protection in two-party split learning", §4): the party
// that holds the labels returns each image's gradient with Gaussian noise sized so that its expected
// squared length is the batch's largest, σᵢ² = (max_j ‖g_j‖² − ‖gᵢ‖²) / d. With a rare class, the
// gradients of its images are longer, so their lengths read the labels; after max norm they all have
// the same expected length. The directions still carry some of it (the paper's cosine attack).
import type { GaussianSource } from '../../../../../shared/node/privacy/index.ts';
import { tf } from '../../backend/index.ts';

/** `gradient` [B, …] with max-norm noise added per image (no read-back: WebGPU cannot read synchronously). */
export function maxNormGradient(gradient: tf.Tensor, gaussian: GaussianSource): tf.Tensor {
  const batch = gradient.shape[0]!;
  const perImage = gradient.size / batch;
  const standard = Float32Array.from(gaussian(gradient.size));
  return tf.tidy(() => {
    const flat = tf.reshape(gradient, [batch, perImage]);
    const squares = tf.sum(tf.square(flat), 1, true);
    const std = tf.sqrt(tf.div(tf.relu(tf.sub(tf.max(squares), squares)), perImage));
    const noise = tf.mul(tf.tensor2d(standard, [batch, perImage]), std);
    return tf.reshape(tf.add(flat, noise), gradient.shape);
  });
}
