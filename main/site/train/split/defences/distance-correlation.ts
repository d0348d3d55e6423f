// Distance correlation (Székely, Rizzo & Bakirov 2007), the statistic NoPeek minimises between a
// batch's images and its activations at cut 1 (Vepakomma et al. 2019): 0 when they are independent, 1
// when one is a rotation and scaling of the other. Differentiable in tfjs, so it can sit in the loss.
// It compares every pair of images: memory and time grow with the square of the batch.
import { NOPEEK_MAX_BATCH, noPeekBatchProblem } from '../../../../../shared/federation/split/index.ts';
import { tf } from '../../backend/index.ts';
import { SplitDefenceError } from './split-defence-error.ts';

/** Keeps sqrt differentiable where two images give the same row (a zero distance). */
const DISTANCE_FLOOR = 1e-12;

/**
 * Pairwise Euclidean distances of the rows of `x` [B, d], from the Gram matrix (B × B memory, not
 * B × B × d). The diagonal is set to exactly 0 with no gradient through it: sqrt's slope is infinite
 * at 0, and rounding would send a huge gradient through a distance that is 0 by definition.
 */
function pairwiseDistances(x: tf.Tensor2D): tf.Tensor2D {
  const batch = x.shape[0];
  const squares = tf.sum(tf.square(x), 1, true);
  const squared = tf.relu(
    tf.sub(tf.add(squares, tf.transpose(squares)), tf.mul(2, tf.matMul(x, x, false, true))),
  );
  const offDiagonal = tf.sub(1, tf.eye(batch));
  const safe = tf.add(tf.mul(squared, offDiagonal), tf.eye(batch));
  return tf.mul(tf.sqrt(tf.add(safe, DISTANCE_FLOOR)), offDiagonal) as tf.Tensor2D;
}

/** The doubly centred distance matrix: each distance less its row's and column's mean, plus the grand mean. */
function centred(distances: tf.Tensor2D): tf.Tensor2D {
  const rows = tf.mean(distances, 1, true);
  const columns = tf.mean(distances, 0, true);
  return tf.add(tf.sub(tf.sub(distances, rows), columns), tf.mean(distances)) as tf.Tensor2D;
}

/**
 * The distance correlation of two batches with the same first axis (any shapes after it: images,
 * activations), as a scalar tensor in [0, 1]. Refuses a batch above NOPEEK_MAX_BATCH in plain words.
 */
export function distanceCorrelation(x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const batch = x.shape[0]!;
  if (y.shape[0] !== batch) {
    throw new SplitDefenceError(
      'invalid-setting',
      `Distance correlation needs the same images on both sides, but one batch has ${batch} and the other ${y.shape[0]}.`,
    );
  }
  const problem = noPeekBatchProblem({ noPeek: { weight: 1 }, gradientMaxNorm: false }, batch);
  if (problem) throw new SplitDefenceError('batch-too-large', problem);
  if (batch < 2) return tf.scalar(0);
  return tf.tidy(() => {
    const a = centred(pairwiseDistances(tf.reshape(x, [batch, -1])));
    const b = centred(pairwiseDistances(tf.reshape(y, [batch, -1])));
    const covariance = tf.mean(tf.mul(a, b));
    const varianceX = tf.mean(tf.mul(a, a));
    const varianceY = tf.mean(tf.mul(b, b));
    // dCor² = dCov²(x, y) / √(dVar²(x) · dVar²(y)); a constant batch has no variance and no correlation.
    const squared = tf.div(tf.relu(covariance), tf.add(tf.sqrt(tf.mul(varianceX, varianceY)), 1e-12));
    return tf.sqrt(tf.add(squared, DISTANCE_FLOOR)) as tf.Scalar;
  });
}

export { NOPEEK_MAX_BATCH };
