// The benchmark model, the same as ../shared/bench/torch_reference.py: conv3×3(16) relu maxpool2 →
// conv3×3(32) relu maxpool2 → conv3×3(64) relu maxpool2 → conv3×3(128) relu → global average pool →
// dense(classes). Same initialisation rule as PyTorch's defaults.
import { tf } from '../backend/index.ts';
import { conv2dBiasRelu } from '../kernels/index.ts';
import type { ImageModel, ModelConfig, ModelStage } from './model.ts';
import { ParameterStore, torchDefault } from './parameters.ts';

const WIDTHS = [16, 32, 64, 128];

export function createReferenceCnn(config: ModelConfig): ImageModel {
  const store = new ParameterStore(config.seed ?? 0);
  let channels = config.channels;
  WIDTHS.forEach((width, i) => {
    const fanIn = 9 * channels;
    store.add(`conv${i + 1}/kernel`, [3, 3, channels, width], torchDefault(fanIn));
    store.add(`conv${i + 1}/bias`, [width], torchDefault(fanIn));
    channels = width;
  });
  store.add('head/kernel', [channels, config.numClasses], torchDefault(channels));
  store.add('head/bias', [config.numClasses], torchDefault(channels));

  const convolutions = WIDTHS.map((_, i): ModelStage => ({
    name: `conv${i + 1}`,
    apply: (input) => {
      const h = conv2dBiasRelu(
        input as tf.Tensor4D,
        store.get(`conv${i + 1}/kernel`) as tf.Tensor4D,
        store.get(`conv${i + 1}/bias`) as tf.Tensor1D,
        { strides: 1, pad: 'same' },
      );
      return i < WIDTHS.length - 1 ? tf.maxPool(h, 2, 2, 'valid') : h;
    },
  }));
  const head: ModelStage = {
    name: 'head',
    apply: (h) => {
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, store.get('head/kernel') as tf.Tensor2D), store.get('head/bias'));
    },
  };
  const stages = [...convolutions, head];

  return {
    architecture: 'reference-cnn',
    config,
    parameters: store.tensors,
    stages,
    // Site: two convolutions (32 channels at a quarter of the side at cut 1); hub: the two widest.
    cuts: { cut1: 'conv2', cut2: 'conv4' },
    logits(x: tf.Tensor4D): tf.Tensor2D {
      // No batch normalisation: every mode computes the same.
      return tf.tidy(() => stages.reduce<tf.Tensor>((h, stage) => stage.apply(h, 'infer'), x) as tf.Tensor2D);
    },
    dispose: () => store.dispose(),
  };
}
