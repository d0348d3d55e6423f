// How closely a reconstruction matches the image: SSIM (Wang et al. 2004: local means, variances and
// covariance over a 7 × 7 window, the constants K1 = 0.01 and K2 = 0.03 of the data range, as
// scikit-image computes it with a uniform window) and PSNR. Both against the range of the reference
// images, since prepared images are normalised, not 0–255.
import { tf } from '../../backend/index.ts';

const WINDOW = 7;

export interface ImageSimilarity {
  /** Mean SSIM over the images: 1 is identical, near 0 unrelated. */
  readonly ssim: number;
  /** Peak signal-to-noise ratio in decibels over all the images; higher is closer. */
  readonly psnr: number;
}

/** SSIM and PSNR of `reconstructed` against `reference`, both [N, H, W, C]. */
export async function imageSimilarity(
  reference: tf.Tensor4D,
  reconstructed: tf.Tensor4D,
): Promise<ImageSimilarity> {
  const figures = tf.tidy(() => {
    const range = tf.sub(tf.max(reference), tf.min(reference));
    const c1 = tf.square(tf.mul(0.01, range));
    const c2 = tf.square(tf.mul(0.03, range));
    const side = Math.min(WINDOW, reference.shape[1], reference.shape[2]);
    const local = (t: tf.Tensor4D) => tf.avgPool(t, side, 1, 'valid');
    const meanX = local(reference);
    const meanY = local(reconstructed);
    const varianceX = tf.sub(local(tf.square(reference)), tf.square(meanX));
    const varianceY = tf.sub(local(tf.square(reconstructed)), tf.square(meanY));
    const covariance = tf.sub(local(tf.mul(reference, reconstructed)), tf.mul(meanX, meanY));
    const ssimMap = tf.div(
      tf.mul(tf.add(tf.mul(2, tf.mul(meanX, meanY)), c1), tf.add(tf.mul(2, covariance), c2)),
      tf.mul(
        tf.add(tf.add(tf.square(meanX), tf.square(meanY)), c1),
        tf.add(tf.add(varianceX, varianceY), c2),
      ),
    );
    const mse = tf.mean(tf.square(tf.sub(reference, reconstructed)));
    const psnr = tf.mul(10, tf.div(tf.log(tf.div(tf.square(range), mse)), Math.LN10));
    return tf.stack([tf.mean(ssimMap), psnr]);
  });
  const [ssim, psnr] = await figures.data();
  figures.dispose();
  return { ssim: ssim!, psnr: psnr! };
}
