// A model from the registry with one batch of noise and alternating labels, and its training step (Adam,
// the loss read back so that the step has finished when it resolves): what a timing of training steps
// needs where the images' content does not matter (the demo's time estimate, the WebAssembly A/B
// benchmarks in bench/).
import { tf } from '../backend/index.ts';
import { createModel, type ImageModel } from '../models/index.ts';

export interface NoiseTrainingStep {
  readonly model: ImageModel;
  /** One training step on the batch, waited for. */
  step(): Promise<void>;
  /** Frees the model, the batch and the optimiser. */
  dispose(): void;
}

/** A square single-channel, two-class `architecture` at `size` px with `batch` images of noise. */
export function noiseTrainingStep(architecture: string, size: number, batch: number): NoiseTrainingStep {
  const model = createModel(architecture, { inputSize: size, channels: 1, numClasses: 2, seed: 0 });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([batch, size, size, 1]) as tf.Tensor4D;
  const y = tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % 2),
        'int32',
      ),
      2,
    ),
  );
  const trainable = model.parameters.filter((p) => p.trainable).map((p) => p.variable);
  return {
    model,
    step: async () => {
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(y, model.logits(x, { training: true })) as tf.Scalar,
        true,
        trainable,
      );
      await loss?.data();
      loss?.dispose();
    },
    dispose: () => {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}
