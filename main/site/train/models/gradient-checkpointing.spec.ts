// Gradient checkpointing: the same gradients as the plain training pass, batch norm's running
// statistics moved once a step (not again by the recomputation), a lower peak of memory at the same
// batch, and nothing left behind. On the JavaScript (cpu) backend, which runs anywhere, and on WebGPU
// where there is an adapter (SwiftShader here, scripts/software-webgpu.ts), where reads are async.
import { beforeAll, describe, expect, it } from 'vitest';
import { probeDawn, selectBackend, tf } from '../backend/index.ts';
import { checkpointedLogits } from './gradient-checkpointing.ts';
import { createModel, type ImageModel } from './index.ts';

const dawn = await probeDawn();

beforeAll(async () => {
  await selectBackend({ choice: 'cpu' });
});

interface StepOutcome {
  loss: number;
  /** Gradients by parameter name. */
  gradients: Map<string, Float32Array>;
  /** Running statistics after the step, by name. */
  running: Map<string, Float32Array>;
  /** The engine's peak bytes over the step, above what was alive before it. */
  peakBytes: number;
}

/** One forward and backward pass of a fresh model (same seed) on a fixed batch. */
async function step(architecture: string, size: number, batch: number, checkpointing: boolean) {
  const model = createModel(architecture, { inputSize: size, channels: 1, numClasses: 2, seed: 7 });
  const x = tf.randomNormal([batch, size, size, 1], 0, 1, 'float32', 11) as tf.Tensor4D;
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 2),
      'int32',
    ),
    2,
  );
  const before = tf.memory().numBytes;
  const outcome: StepOutcome = { loss: 0, gradients: new Map(), running: new Map(), peakBytes: 0 };
  try {
    const trainable = model.parameters.filter((p) => p.trainable);
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
    const info = await tf.profile(() => {
      result = tf.variableGrads(
        () => {
          const logits = checkpointing ? checkpointedLogits(model, x) : model.logits(x, { training: true });
          return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        },
        trainable.map((p) => p.variable),
      );
    });
    outcome.peakBytes = info.peakBytes - before;
    // Read after the pass: WebGPU in Node reads only asynchronously.
    const { value, grads } = result!;
    outcome.loss = (await value.data())[0]!;
    for (const p of trainable) {
      const gradient = grads[p.variable.name];
      if (gradient) outcome.gradients.set(p.name, (await gradient.data()) as Float32Array);
    }
    tf.dispose([value, ...Object.values(grads)]);
    // Everything the pass made is gone: only the model and the batch remain.
    expect(tf.memory().numBytes).toBe(before);
    for (const p of model.parameters.filter((p) => !p.trainable))
      outcome.running.set(p.name, (await p.variable.data()) as Float32Array);
    return outcome;
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

/** The largest difference over the largest value, over every tensor of the two maps. */
function largestRelativeDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let [diff, scale] = [0, 0];
  for (const [name, expected] of a) {
    const actual = b.get(name)!;
    for (let i = 0; i < expected.length; i++) {
      diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
      scale = Math.max(scale, Math.abs(expected[i]!));
    }
  }
  return diff / scale;
}

describe('a training pass that recomputes activations in the backward pass', () => {
  // resnet-small (5 stages), and DenseNet-121 (9 stages, dense blocks of 6 to 24 layers) at 32 px.
  it.each([
    ['resnet-small', 32, 4],
    ['densenet-121', 32, 2],
  ])(
    'gives %s the same loss and gradients for every trainable tensor',
    async (architecture, size, batch) => {
      const plain = await step(architecture, size, batch, false);
      const checkpointed = await step(architecture, size, batch, true);
      expect(checkpointed.loss).toBeCloseTo(plain.loss, 6);
      const model = createModel(architecture, { inputSize: size, channels: 1, numClasses: 2 });
      const trainable = model.parameters.filter((p) => p.trainable).length;
      model.dispose();
      expect(plain.gradients.size).toBe(trainable);
      expect([...checkpointed.gradients.keys()]).toEqual([...plain.gradients.keys()]);
      expect(largestRelativeDifference(plain.gradients, checkpointed.gradients)).toBeLessThan(1e-5);
    },
    120_000,
  );

  it('moves batch norm’s running statistics once, as a plain step does', async () => {
    const plain = await step('resnet-small', 16, 4, false);
    const checkpointed = await step('resnet-small', 16, 4, true);
    // A step moves them from their start (mean 0): otherwise the comparison below proves nothing.
    expect(Math.max(...plain.running.get('block2/bn1/moving_mean')!.map(Math.abs))).toBeGreaterThan(1e-4);
    expect(largestRelativeDifference(plain.running, checkpointed.running)).toBeLessThan(1e-6);
  }, 60_000);

  it('peaks lower than the plain pass at the same batch', async () => {
    // 32 px, batch 8: the activations kept (about 0.3 MB an image) outweigh resnet-small's weights and
    // their gradients (2.4 MB).
    const plain = await step('resnet-small', 32, 8, false);
    const checkpointed = await step('resnet-small', 32, 8, true);
    expect(checkpointed.peakBytes).toBeLessThan(0.8 * plain.peakBytes);
  }, 120_000);

  it.skipIf(!dawn.ok)(
    'gives resnet-small on WebGPU the same gradients and running statistics (needs a WebGPU adapter)',
    async () => {
      await selectBackend({ choice: 'webgpu' });
      try {
        const plain = await step('resnet-small', 16, 2, false);
        const checkpointed = await step('resnet-small', 16, 2, true);
        expect(plain.gradients.size).toBeGreaterThan(0);
        expect(largestRelativeDifference(plain.gradients, checkpointed.gradients)).toBeLessThan(1e-5);
        expect(largestRelativeDifference(plain.running, checkpointed.running)).toBeLessThan(1e-6);
      } finally {
        await selectBackend({ choice: 'cpu' });
      }
    },
    600_000,
  );

  it('keeps nothing of a forward pass outside a gradient but its output', () => {
    const model: ImageModel = createModel('resnet-small', { inputSize: 16, channels: 1, numClasses: 2 });
    const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    try {
      const before = tf.memory().numBytes;
      const logits = checkpointedLogits(model, x);
      expect(logits.shape).toEqual([2, 2]);
      logits.dispose();
      expect(tf.memory().numBytes).toBe(before);
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});
