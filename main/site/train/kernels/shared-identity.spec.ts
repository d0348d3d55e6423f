// Identity by reference on WebAssembly (shared-identity.ts): a clone holds no memory of its own, the
// data lives while any holder does, and a training step's gradients are the same as with tfjs's copying
// Identity.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { createModel } from '../models/index.ts';
import { registerTrainingKernels } from './index.ts';

describe('Identity by reference on WebAssembly', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
    registerTrainingKernels('wasm');
  });
  afterEach(() => {
    delete process.env.RADFED_WASM_SHARED_IDENTITY;
  });

  it('clones share the data: no new buffer, and it stays until the last holder is disposed', () => {
    const x = tf.tensor([1, 2, 3, 4, 5]);
    const before = tf.memory().numDataBuffers;
    const copy = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(before);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4, 5]);
    copy.dispose();
    expect(tf.memory().numDataBuffers).toBe(before - 1);
  });

  it('a training step saves its tensors without copying them, and computes the same gradients', () => {
    const model = createModel('reference-cnn', { inputSize: 16, channels: 1, numClasses: 2, seed: 4 });
    const x = tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
    const variables = model.parameters.filter((p) => p.trainable).map((p) => p.variable);
    const gradients = () => {
      let peak = 0;
      const { grads, value } = tf.variableGrads(() => {
        const loss = tf.losses.softmaxCrossEntropy(labels, model.logits(x, { training: true })) as tf.Scalar;
        peak = tf.memory().numDataBuffers;
        return loss;
      }, variables);
      const values = variables.map((v) => Array.from(grads[v.name]!.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      return { values, peak };
    };
    const shared = gradients();
    process.env.RADFED_WASM_SHARED_IDENTITY = '0';
    const copied = gradients();
    expect(shared.values).toEqual(copied.values);
    // The forward pass's saved inputs, outputs and filters are copies only with the copying Identity.
    expect(shared.peak).toBeLessThan(copied.peak);
    tf.dispose([x, labels]);
    model.dispose();
  });
});
