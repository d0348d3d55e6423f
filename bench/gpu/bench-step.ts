// One training step's inputs for the GPU benches (batch-norm-ab.ts, optimizer-ab.ts, dispatch-profile.ts):
// a model with seed 0, a batch of seeded random images with alternating labels, its trainable
// parameters and the loss to minimise, so that the three count and time the same step.
import { createModel, SeededRandom, tf } from '../../main/site/train/index.ts';

export function benchStep(model: string, size: number, batch: number) {
  const net = createModel(model, { inputSize: size, channels: 1, numClasses: 2, seed: 0 });
  const random = new SeededRandom(0);
  const images = tf.tensor4d(random.floats(batch * size * size), [batch, size, size, 1]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: batch }, (_, i) => i % 2),
      'int32',
    ),
    2,
  );
  const trainable = net.parameters.filter((p) => p.trainable);
  const loss = () =>
    tf.losses.softmaxCrossEntropy(labels, net.logits(images, { training: true })) as tf.Scalar;
  return {
    trainable,
    loss,
    dispose: () => {
      tf.dispose([images, labels]);
      net.dispose();
    },
  };
}
