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

/**
 * How a stage runs: 'infer' with running statistics; 'train' with the batch's statistics, updating the
 * running ones; 'replay', the same batch a second time for its gradient (split learning recomputes a
 * segment's forward pass when the gradient at its output arrives): the batch's statistics, the running
 * ones left as the first pass set them, so a split step counts each batch once, as a whole step does.
 */
export type StageMode = 'infer' | 'train' | 'replay';

/**
 * One stage of a model's forward pass. The model's logits are its stages applied in order; a stage
 * owns the parameters whose name starts with its name and a slash ("block1/conv1/kernel").
 */
export interface ModelStage {
  readonly name: string;
  apply(h: tf.Tensor, mode: StageMode): tf.Tensor;
}

/**
 * Where split learning cuts the model, each the name of the stage the cut follows: cut 1 ends the
 * site's bottom segment, cut 2 ends the hub's trunk; the stages after cut 2 are the site's head.
 */
export interface CutPoints {
  readonly cut1: string;
  readonly cut2: string;
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
  /** The forward pass in order; `logits` is their composition. */
  readonly stages: readonly ModelStage[];
  /** The cut points the architecture proposes for split learning (a task may choose others). */
  readonly cuts: CutPoints;
  dispose(): void;
}
