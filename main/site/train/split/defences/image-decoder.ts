// The attacker the leakage meter plays: a small convolutional decoder trained from activations at a cut
// back to the images that made them (the inversion of UnSplit and of He et al. 2019's model inversion,
// given the best case for the attacker: pairs of images and their activations). Each doubling of the
// side is a nearest-neighbour upsampling and a 3 × 3 convolution; the last convolution gives the image.
import { tf } from '../../backend/index.ts';
import { SplitDefenceError } from './split-defence-error.ts';

const FILTERS = 16;

export interface DecoderTraining {
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
}

export class ImageDecoder {
  private readonly kernels: tf.Variable[] = [];
  private readonly biases: tf.Variable[] = [];
  private readonly doublings: number;

  /** A decoder from activations [side, side, channels] to images [imageSide, imageSide, imageChannels]. */
  constructor(activationShape: readonly number[], imageShape: readonly number[], seed: number) {
    const [side, , channels] = activationShape as [number, number, number];
    const [imageSide, , imageChannels] = imageShape as [number, number, number];
    this.doublings = Math.round(Math.log2(imageSide / side));
    if (side * 2 ** this.doublings !== imageSide) {
      throw new SplitDefenceError(
        'invalid-setting',
        `The leakage meter's decoder doubles the side of the activations (${side} pixels) until it is the image's ` +
          `(${imageSide}); these sides are not a power of two apart, so choose another cut.`,
      );
    }
    const widths = [channels, ...Array<number>(this.doublings + 1).fill(FILTERS), imageChannels];
    for (let i = 0; i + 1 < widths.length; i++) {
      const fanIn = 9 * widths[i]!;
      this.kernels.push(
        tf.variable(
          tf.randomNormal([3, 3, widths[i]!, widths[i + 1]!], 0, Math.sqrt(2 / fanIn), 'float32', seed + i),
        ),
      );
      this.biases.push(tf.variable(tf.zeros([widths[i + 1]!])));
    }
  }

  decode(activations: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const layer = (h: tf.Tensor4D, i: number) =>
        tf.add(
          tf.conv2d(h, this.kernels[i] as tf.Variable<tf.Rank.R4>, 1, 'same'),
          this.biases[i]!,
        ) as tf.Tensor4D;
      let h = tf.relu(layer(activations, 0));
      for (let d = 0; d < this.doublings; d++) {
        const [, rows, columns] = h.shape;
        h = tf.relu(layer(tf.image.resizeNearestNeighbor(h, [rows * 2, columns * 2]), d + 1));
      }
      return layer(h, this.kernels.length - 1);
    });
  }

  /** Trains on pairs (activations[i], images[i]) to the mean squared error; gives the last batch's error. */
  async fit(activations: tf.Tensor4D, images: tf.Tensor4D, training: DecoderTraining): Promise<number> {
    const optimizer = tf.train.adam(training.learningRate);
    const count = images.shape[0];
    let order = 0;
    let loss = Number.NaN;
    for (let step = 0; step < training.steps; step++) {
      // A fixed walk through the images (no Math.random: the figures repeat from the same seed).
      const indices = tf.tensor1d(
        Array.from({ length: Math.min(training.batchSize, count) }, () => (order = (order + 7919) % count)),
        'int32',
      );
      const cost = optimizer.minimize(
        () =>
          tf.mean(
            tf.square(tf.sub(this.decode(tf.gather(activations, indices)), tf.gather(images, indices))),
          ) as tf.Scalar,
        true,
        [...this.kernels, ...this.biases],
      );
      indices.dispose();
      if (step === training.steps - 1 && cost) loss = (await cost.data())[0]!;
      cost?.dispose();
    }
    optimizer.dispose();
    return loss;
  }

  dispose(): void {
    for (const v of [...this.kernels, ...this.biases]) v.dispose();
  }
}
