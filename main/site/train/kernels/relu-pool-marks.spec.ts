// The ReLU's gradient folded into the 2×2 MaxPoolGrad after a fused convolution (relu-pool-marks.ts):
// the reference CNN's gradients are the same values as with the ReLU pass run on its own, the pass runs
// only for the one convolution without a pool after it, and a pool over data that is not a ReLU's
// output (values below 0) still routes every window's gradient.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { createModel } from '../models/index.ts';
import { registerTrainingKernels } from './index.ts';
import { RELU_GRAD } from './relu-grad.ts';

describe('ReLU gradient folded into the 2×2 MaxPoolGrad', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
    registerTrainingKernels('wasm');
  });
  afterEach(() => {
    delete process.env.RADFED_WASM_POOL_RELU_GRAD;
  });

  it('gives the reference CNN the same gradients, with one ReLU pass instead of four', async () => {
    const model = createModel('reference-cnn', { inputSize: 32, channels: 1, numClasses: 2, seed: 6 });
    const x = tf.randomNormal([4, 32, 32, 1], 0, 1, 'float32', 8) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
    const variables = model.parameters.filter((p) => p.trainable).map((p) => p.variable);
    const gradients = async () => {
      let values: number[][] = [];
      const profile = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(labels, model.logits(x, { training: true })) as tf.Scalar,
          variables,
        );
        values = variables.map((v) => Array.from(grads[v.name]!.dataSync()));
        tf.dispose([value, ...Object.values(grads)]);
      });
      return { values, reluPasses: profile.kernels.filter((k) => k.name === RELU_GRAD).length };
    };
    const folded = await gradients();
    process.env.RADFED_WASM_POOL_RELU_GRAD = '0';
    const apart = await gradients();
    expect(folded.values).toEqual(apart.values);
    expect(apart.reluPasses).toBe(4);
    expect(folded.reluPasses).toBe(1); // the last convolution, which no pool follows
    tf.dispose([x, labels]);
    model.dispose();
  });

  it('still routes gradients to windows of negative values when the pool’s input is no ReLU’s output', () => {
    const x = tf.tensor4d(
      Float32Array.from({ length: 64 }, (_, i) => -1 - (i % 5)),
      [1, 4, 4, 4],
    );
    const dx = tf.tidy(() => {
      const dy = tf.onesLike(tf.maxPool(x, 2, 2, 'valid'));
      return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: tf.maxPool(x, 2, 2, 'valid') }, {
        filterSize: 2,
        strides: 2,
        pad: 'valid',
      } as never) as tf.Tensor;
    });
    expect(dx.dataSync().filter((v) => v === 1).length).toBe(16); // one input per window and channel
    tf.dispose([x, dx]);
  });
});
