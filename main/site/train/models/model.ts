// What every model in the registry is: named tensors and a function from images to class scores.
import type { tf } from '../backend/index.ts';
import type { NamedTensor } from './parameters.ts';

export interface ModelConfig {
  /** Square input images of this many pixels a side. */
  inputSize: number;
  /** Image channels (1 for radiographs and CT slices). */
  channels: number;
  numClasses: number;
  /** Seed of the initial weights (the same seed gives the same model at every site). */
  seed?: number;
}

export interface ImageModel {
  readonly architecture: string;
  readonly config: ModelConfig;
  /** In a fixed order; trainable weights and running statistics alike. */
  readonly parameters: readonly NamedTensor[];
  /**
   * Class scores (logits), [batch, classes], for images [batch, size, size, channels]. With
   * `training`, batch normalisation uses the batch's statistics and updates its running ones.
   */
  logits(x: tf.Tensor4D, options?: { training?: boolean }): tf.Tensor2D;
  dispose(): void;
}
