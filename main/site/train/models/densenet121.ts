// DenseNet-121 (Huang et al. 2017; torchvision's layout) for grayscale radiographs: the backbone of
// CheXNet and most chest-radiograph classifiers. conv7×7/2 (64) bn relu → maxpool3×3/2 → four dense
// blocks of 6, 12, 24 and 16 layers (each layer: bn relu conv1×1 (4·32) bn relu conv3×3 (32), its
// output concatenated to its input: growth rate 32), with a transition between blocks (bn relu
// conv1×1 to half the channels, avgpool2×2/2) → bn relu → global average pool → dense(classes).
// Padding is PyTorch's, as in resnet18.ts; kernels are Kaiming-normal (fan-in, torchvision's choice
// for DenseNet) and the classifier's bias starts at 0, as in bench/densenet121_reference.py.
// 6.95 M weights with one input channel and two classes; about 2.9 GFLOP per 224-px image forward.
import { tf } from '../backend/index.ts';
import type { ImageModel, ModelConfig, ModelStage, StageMode } from './model.ts';
import { ParameterStore, torchDefault } from './parameters.ts';
import { ResidualLayers } from './residual-blocks.ts';

const STEM = 64;
const GROWTH = 32;
/** The bottleneck's width, as a multiple of the growth rate (torchvision's bn_size). */
const BOTTLENECK = 4;
const BLOCK_LAYERS = [6, 12, 24, 16];
/** A transition keeps this share of the channels (torchvision's compression 0.5). */
const COMPRESSION = 0.5;

export function createDensenet121(config: ModelConfig): ImageModel {
  const store = new ParameterStore(config.seed ?? 0);
  // DenseNet's convolutions, norms and padding are ResNet-18's: one place builds them.
  const layers = new ResidualLayers(store, { padding: 'symmetric', normalisation: 'batch' });
  layers.declareConv('stem/conv', 7, config.channels, STEM);
  layers.declareNorm('stem/bn', STEM);
  let channels = STEM;
  const blockInputs: number[] = [];
  BLOCK_LAYERS.forEach((count, b) => {
    blockInputs.push(channels);
    for (let l = 0; l < count; l++) {
      const layer = `block${b + 1}/layer${l + 1}`;
      layers.declareNorm(`${layer}/bn1`, channels + l * GROWTH);
      layers.declareConv(`${layer}/conv1`, 1, channels + l * GROWTH, BOTTLENECK * GROWTH);
      layers.declareNorm(`${layer}/bn2`, BOTTLENECK * GROWTH);
      layers.declareConv(`${layer}/conv2`, 3, BOTTLENECK * GROWTH, GROWTH);
    }
    channels += count * GROWTH;
    if (b < BLOCK_LAYERS.length - 1) {
      const out = Math.floor(channels * COMPRESSION);
      layers.declareNorm(`transition${b + 1}/bn`, channels);
      layers.declareConv(`transition${b + 1}/conv`, 1, channels, out);
      channels = out;
    }
  });
  layers.declareNorm('head/bn', channels);
  store.add('head/kernel', [channels, config.numClasses], torchDefault(channels));
  store.add('head/bias', [config.numClasses], { kind: 'constant', value: 0 });

  const normRelu = (h: tf.Tensor4D, norm: string, mode: StageMode) =>
    tf.relu(layers.normalise(h, norm, mode)) as tf.Tensor4D;

  const stem: ModelStage = {
    name: 'stem',
    apply: (x, mode) => {
      const h = layers.convNormRelu(x as tf.Tensor4D, 'stem/conv', 'stem/bn', 2, mode);
      return tf.maxPool(h, 3, 2, 1);
    },
  };
  const denseBlock = (b: number): ModelStage => ({
    name: `block${b + 1}`,
    apply: (input, mode) => {
      // Each layer reads every feature map before it. The concatenation is made once per layer (as
      // torchvision's default, not its memory-efficient variant): the batch-norm statistics need it.
      let h = input as tf.Tensor4D;
      for (let l = 0; l < BLOCK_LAYERS[b]!; l++) {
        const layer = `block${b + 1}/layer${l + 1}`;
        const bottleneck = layers.convolve(normRelu(h, `${layer}/bn1`, mode), `${layer}/conv1`, 1);
        const grown = layers.convolve(normRelu(bottleneck, `${layer}/bn2`, mode), `${layer}/conv2`, 1);
        h = tf.concat([h, grown], 3);
      }
      return h;
    },
  });
  const transition = (b: number): ModelStage => ({
    name: `transition${b + 1}`,
    apply: (input, mode) => {
      const name = `transition${b + 1}`;
      const h = layers.convolve(normRelu(input as tf.Tensor4D, `${name}/bn`, mode), `${name}/conv`, 1);
      return tf.avgPool(h, 2, 2, 'valid');
    },
  });
  const head: ModelStage = {
    name: 'head',
    apply: (h, mode) => {
      const pooled = tf.mean(normRelu(h as tf.Tensor4D, 'head/bn', mode), [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, store.get('head/kernel') as tf.Tensor2D), store.get('head/bias'));
    },
  };
  const stages: ModelStage[] = [stem];
  BLOCK_LAYERS.forEach((_, b) => {
    stages.push(denseBlock(b));
    if (b < BLOCK_LAYERS.length - 1) stages.push(transition(b));
  });
  stages.push(head);

  return {
    architecture: 'densenet-121',
    config,
    parameters: store.tensors,
    stages,
    // The site keeps the stem, block 1 and its transition (128 channels at an eighth of the side at
    // cut 1: half of ResNet-18's activations at its cut 1; the images never leave) and the head
    // (final norm, pool, classifier) with its labels; the hub runs blocks 2–4, 89% of the weights.
    cuts: { cut1: 'transition1', cut2: 'block4' },
    logits(x: tf.Tensor4D, options = {}): tf.Tensor2D {
      const mode: StageMode = options.training ? 'train' : 'infer';
      return tf.tidy(() => stages.reduce<tf.Tensor>((h, stage) => stage.apply(h, mode), x) as tf.Tensor2D);
    },
    dispose: () => store.dispose(),
  };
}
