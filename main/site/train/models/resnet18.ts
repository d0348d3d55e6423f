// ResNet-18 (He et al. 2016; torchvision's layout) for grayscale radiographs at 224–512 px: the size
// of backbone chest-radiograph studies train. conv7×7/2 (64) bn relu → maxpool3×3/2 → four layers of
// two basic blocks (64, 128, 256, 512 channels; the first block of layers 2–4 halves the side, with a
// 1×1/2 convolution and batch norm on its shortcut) → global average pool → dense(classes).
// Padding is PyTorch's (3 around the stem, 1 around the 3×3 convolutions and the pool), not tfjs's
// 'same', so each output pixel sees the same inputs as in bench/resnet18_reference.py.
// 11.2 M weights with one input channel; about 1.8 GFLOP per 224-px image forward.
import { tf } from '../backend/index.ts';
import { batchNormTraining } from './batch-norm.ts';
import type { ImageModel, ModelConfig, ModelStage, StageMode } from './model.ts';
import { heNormal, ParameterStore, torchDefault } from './parameters.ts';

const WIDTHS = [64, 128, 256, 512];
const BLOCKS_PER_LAYER = 2;
const MOMENTUM = 0.1; // PyTorch's convention: running = (1 − m)·running + m·batch
const EPSILON = 1e-5;

type Padding = [[0, 0], [number, number], [number, number], [0, 0]];
const padding = (p: number): Padding => [
  [0, 0],
  [p, p],
  [p, p],
  [0, 0],
];

export function createResnet18(config: ModelConfig): ImageModel {
  const store = new ParameterStore(config.seed ?? 0);
  // Kaiming normal (fan-out in torchvision, fan-in here as in resnet-small: the same scale for 3×3).
  const conv = (name: string, k: number, cin: number, cout: number) =>
    store.add(`${name}/kernel`, [k, k, cin, cout], heNormal(k * k * cin));
  const bn = (name: string, c: number) => {
    store.add(`${name}/gamma`, [c], { kind: 'constant', value: 1 });
    store.add(`${name}/beta`, [c], { kind: 'constant', value: 0 });
    store.add(`${name}/moving_mean`, [c], { kind: 'constant', value: 0 }, false);
    store.add(`${name}/moving_variance`, [c], { kind: 'constant', value: 1 }, false);
  };
  conv('stem/conv', 7, config.channels, WIDTHS[0]!);
  bn('stem/bn', WIDTHS[0]!);
  const withShortcut = new Set<string>();
  let cin = WIDTHS[0]!;
  WIDTHS.forEach((cout, layer) => {
    for (let b = 0; b < BLOCKS_PER_LAYER; b++) {
      const block = `layer${layer + 1}/block${b + 1}`;
      conv(`${block}/conv1`, 3, cin, cout);
      bn(`${block}/bn1`, cout);
      conv(`${block}/conv2`, 3, cout, cout);
      bn(`${block}/bn2`, cout);
      if (cin !== cout) {
        withShortcut.add(block);
        conv(`${block}/shortcut`, 1, cin, cout);
        bn(`${block}/bn_shortcut`, cout);
      }
      cin = cout;
    }
  });
  store.add('head/kernel', [cin, config.numClasses], torchDefault(cin));
  store.add('head/bias', [config.numClasses], torchDefault(cin));

  const batchNorm = (h: tf.Tensor4D, name: string, mode: StageMode): tf.Tensor4D => {
    const gamma = store.get(`${name}/gamma`) as tf.Variable<tf.Rank.R1>;
    const beta = store.get(`${name}/beta`) as tf.Variable<tf.Rank.R1>;
    const movingMean = store.get(`${name}/moving_mean`) as tf.Variable<tf.Rank.R1>;
    const movingVariance = store.get(`${name}/moving_variance`) as tf.Variable<tf.Rank.R1>;
    if (mode === 'infer') return tf.batchNorm4d(h, movingMean, movingVariance, beta, gamma, EPSILON);
    const running = { mean: movingMean, variance: movingVariance, momentum: MOMENTUM };
    return batchNormTraining(h, gamma, beta, mode === 'train' ? running : null, EPSILON);
  };
  const convolve = (h: tf.Tensor4D, name: string, stride: number, pad: number) =>
    tf.conv2d(h, store.get(`${name}/kernel`) as tf.Tensor4D, stride, padding(pad));

  const stem: ModelStage = {
    name: 'stem',
    apply: (x, mode) => {
      const h = tf.relu(batchNorm(convolve(x as tf.Tensor4D, 'stem/conv', 2, 3), 'stem/bn', mode));
      return tf.maxPool(h, 3, 2, 1);
    },
  };
  const basicBlock = (h: tf.Tensor4D, block: string, stride: number, mode: StageMode): tf.Tensor4D => {
    const a = tf.relu(batchNorm(convolve(h, `${block}/conv1`, stride, 1), `${block}/bn1`, mode));
    const b = batchNorm(convolve(a, `${block}/conv2`, 1, 1), `${block}/bn2`, mode);
    const shortcut = withShortcut.has(block)
      ? batchNorm(convolve(h, `${block}/shortcut`, stride, 0), `${block}/bn_shortcut`, mode)
      : h;
    return tf.relu(tf.add(b, shortcut)) as tf.Tensor4D;
  };
  const layers = WIDTHS.map((_, layer): ModelStage => ({
    name: `layer${layer + 1}`,
    apply: (input, mode) => {
      let h = input as tf.Tensor4D;
      for (let b = 0; b < BLOCKS_PER_LAYER; b++) {
        const stride = layer > 0 && b === 0 ? 2 : 1;
        h = basicBlock(h, `layer${layer + 1}/block${b + 1}`, stride, mode);
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
  const stages = [stem, ...layers, head];

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
