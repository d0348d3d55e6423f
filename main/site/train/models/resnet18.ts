// ResNet-18 (He et al. 2016; torchvision's layout) for grayscale radiographs at 224–512 px: the size
// of backbone chest-radiograph studies train. conv7×7/2 (64) bn relu → maxpool3×3/2 → four layers of
// two basic blocks (64, 128, 256, 512 channels; the first block of layers 2–4 halves the side, with a
// 1×1/2 convolution and batch norm on its shortcut) → global average pool → dense(classes).
// Padding is PyTorch's (3 around the stem, 1 around the 3×3 convolutions and the pool), not tfjs's
// 'same', so each output pixel sees the same inputs as in bench/resnet18_reference.py.
// 11.2 M weights with one input channel; about 1.8 GFLOP per 224-px image forward.
import { tf } from '../backend/index.ts';
import type { ImageModel, ModelConfig, ModelStage, StageMode } from './model.ts';
import { ParameterStore, torchDefault } from './parameters.ts';
import { ResidualLayers } from './residual-blocks.ts';

const WIDTHS = [64, 128, 256, 512];
const BLOCKS_PER_LAYER = 2;

export function createResnet18(config: ModelConfig): ImageModel {
  const store = new ParameterStore(config.seed ?? 0);
  // Kaiming normal (fan-out in torchvision, fan-in here as in resnet-small: the same scale for 3×3).
  const layers = new ResidualLayers(store, { padding: 'symmetric', normalisation: 'batch' });
  layers.declareConv('stem/conv', 7, config.channels, WIDTHS[0]!);
  layers.declareNorm('stem/bn', WIDTHS[0]!);
  const withShortcut = new Set<string>();
  let cin = WIDTHS[0]!;
  WIDTHS.forEach((cout, layer) => {
    for (let b = 0; b < BLOCKS_PER_LAYER; b++) {
      const block = `layer${layer + 1}/block${b + 1}`;
      if (cin !== cout) withShortcut.add(block);
      layers.declareBasicBlock(block, cin, cout, cin !== cout);
      cin = cout;
    }
  });
  store.add('head/kernel', [cin, config.numClasses], torchDefault(cin));
  store.add('head/bias', [config.numClasses], torchDefault(cin));

  const stem: ModelStage = {
    name: 'stem',
    apply: (x, mode) => {
      const h = layers.convNormRelu(x as tf.Tensor4D, 'stem/conv', 'stem/bn', 2, mode);
      return tf.maxPool(h, 3, 2, 1);
    },
  };
  const residualLayers = WIDTHS.map((_, layer): ModelStage => ({
    name: `layer${layer + 1}`,
    apply: (input, mode) => {
      let h = input as tf.Tensor4D;
      for (let b = 0; b < BLOCKS_PER_LAYER; b++) {
        const stride = layer > 0 && b === 0 ? 2 : 1;
        const block = `layer${layer + 1}/block${b + 1}`;
        h = layers.basicBlock(h, block, stride, withShortcut.has(block), mode);
      }
      return h;
    },
  }));
  const head: ModelStage = {
    name: 'head',
    apply: (h) => {
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, store.get('head/kernel') as tf.Tensor2D), store.get('head/bias'));
    },
  };
  const stages = [stem, ...residualLayers, head];

  return {
    architecture: 'resnet-18',
    config,
    parameters: store.tensors,
    stages,
    // The site keeps the stem and layer 1 (64 channels at a quarter of the side at cut 1: the images
    // never leave) and the pooled head with its labels; the hub runs layers 2–4, 98% of the weights.
    cuts: { cut1: 'layer1', cut2: 'layer4' },
    logits(x: tf.Tensor4D, options = {}): tf.Tensor2D {
      const mode: StageMode = options.training ? 'train' : 'infer';
      return tf.tidy(() => stages.reduce<tf.Tensor>((h, stage) => stage.apply(h, mode), x) as tf.Tensor2D);
    },
    dispose: () => store.dispose(),
  };
}
