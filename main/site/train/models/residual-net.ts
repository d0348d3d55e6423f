// The practical classifier: a small residual network with batch normalisation (He et al. 2016, basic
// blocks), sized for a workstation: about 0.3 M weights, 128×128 input in a few milliseconds per image
// on two CPU cores. Stem conv3×3/2 (16) → three stages of one basic block each (32, 64, 128 channels,
// stride 2) → global average pool → dense on average- and max-pooled features. Batch-norm tensors are named ".../bn*/..." so federated
// averaging can keep them local (FedBN).
import { tf } from '../backend/index.ts';
import type { ImageModel, ModelConfig, ModelStage, StageMode } from './model.ts';
import { batchNormTraining } from './batch-norm.ts';
import { heNormal, ParameterStore, torchDefault } from './parameters.ts';

const STEM = 16;
const STAGES = [32, 64, 128];
const MOMENTUM = 0.1; // PyTorch's convention: running = (1 − m)·running + m·batch
const EPSILON = 1e-5;

/** Group norm's groups per layer (Wu & He 2018 use 32 of 64+ channels; our stem has 16). */
const GROUPS = 8;

/**
 * `normalisation: 'group'` ('resnet-small-gn') normalises each image by its own statistics (group
 * norm) instead of the batch's: one image's output then never depends on another's, which
 * per-patient DP-SGD needs, and there are no running statistics to release. The tensor layout stays
 * resnet-small's (the unused moving_* tensors keep their initial 0 and 1), so the hub's size bound
 * and every tool that reads the weights treat both alike.
 */
export function createResidualNet(
  config: ModelConfig,
  normalisation: 'batch' | 'group' = 'batch',
): ImageModel {
  const store = new ParameterStore(config.seed ?? 0);
  const conv = (name: string, k: number, cin: number, cout: number) =>
    store.add(`${name}/kernel`, [k, k, cin, cout], heNormal(k * k * cin));
  const bn = (name: string, c: number) => {
    store.add(`${name}/gamma`, [c], { kind: 'constant', value: 1 });
    store.add(`${name}/beta`, [c], { kind: 'constant', value: 0 });
    store.add(`${name}/moving_mean`, [c], { kind: 'constant', value: 0 }, false);
    store.add(`${name}/moving_variance`, [c], { kind: 'constant', value: 1 }, false);
  };
  conv('stem/conv', 3, config.channels, STEM);
  bn('stem/bn', STEM);
  let cin = STEM;
  STAGES.forEach((cout, i) => {
    const block = `block${i + 1}`;
    conv(`${block}/conv1`, 3, cin, cout);
    bn(`${block}/bn1`, cout);
    conv(`${block}/conv2`, 3, cout, cout);
    bn(`${block}/bn2`, cout);
    conv(`${block}/shortcut`, 1, cin, cout);
    bn(`${block}/bn_shortcut`, cout);
    cin = cout;
  });
  // The head sees both the average and the maximum of each feature map: a small lesion moves the
  // maximum much more than the average.
  store.add('head/kernel', [2 * cin, config.numClasses], torchDefault(2 * cin));
  store.add('head/bias', [config.numClasses], torchDefault(2 * cin));

  const batchNorm = (h: tf.Tensor4D, name: string, mode: StageMode): tf.Tensor4D => {
    const gamma = store.get(`${name}/gamma`) as tf.Variable<tf.Rank.R1>;
    const beta = store.get(`${name}/beta`) as tf.Variable<tf.Rank.R1>;
    const movingMean = store.get(`${name}/moving_mean`) as tf.Variable<tf.Rank.R1>;
    const movingVariance = store.get(`${name}/moving_variance`) as tf.Variable<tf.Rank.R1>;
    if (normalisation === 'group') return groupNorm(h, gamma, beta);
    if (mode === 'infer') return tf.batchNorm4d(h, movingMean, movingVariance, beta, gamma, EPSILON);
    const running = { mean: movingMean, variance: movingVariance, momentum: MOMENTUM };
    return batchNormTraining(h, gamma, beta, mode === 'train' ? running : null, EPSILON);
  };
  const convolve = (h: tf.Tensor4D, name: string, stride: number) =>
    tf.conv2d(h, store.get(`${name}/kernel`) as tf.Tensor4D, stride, 'same');

  const stem: ModelStage = {
    name: 'stem',
    apply: (x, mode) => tf.relu(batchNorm(convolve(x as tf.Tensor4D, 'stem/conv', 2), 'stem/bn', mode)),
  };
  const blocks = STAGES.map((_, i): ModelStage => {
    const block = `block${i + 1}`;
    return {
      name: block,
      apply: (input, mode) => {
        const h = input as tf.Tensor4D;
        const a = tf.relu(batchNorm(convolve(h, `${block}/conv1`, 2), `${block}/bn1`, mode));
        const b = batchNorm(convolve(a, `${block}/conv2`, 1), `${block}/bn2`, mode);
        const shortcut = batchNorm(convolve(h, `${block}/shortcut`, 2), `${block}/bn_shortcut`, mode);
        return tf.relu(tf.add(b, shortcut));
      },
    };
  });
  const head: ModelStage = {
    name: 'head',
    apply: (h) => {
      const pooled = tf.concat([tf.mean(h, [1, 2]), tf.max(h, [1, 2])], 1) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, store.get('head/kernel') as tf.Tensor2D), store.get('head/bias'));
    },
  };
  const stages = [stem, ...blocks, head];

  return {
    architecture: normalisation === 'group' ? 'resnet-small-gn' : 'resnet-small',
    config,
    parameters: store.tensors,
    stages,
    // The site keeps the stem and the first block (its images never leave; the activations at cut 1
    // are 32 channels at a quarter of the input's side, after two stride-2 layers) and the pooled
    // head with its labels; the hub runs the two widest blocks, most of the weights and the compute.
    cuts: { cut1: 'block1', cut2: 'block3' },
    logits(x: tf.Tensor4D, options = {}): tf.Tensor2D {
      const mode: StageMode = options.training ? 'train' : 'infer';
      return tf.tidy(() => stages.reduce<tf.Tensor>((h, stage) => stage.apply(h, mode), x) as tf.Tensor2D);
    },
    dispose: () => store.dispose(),
  };
}

/** Group normalisation (Wu & He 2018): per image, over rows, columns and the channels of a group. */
function groupNorm(h: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const [batch, rows, columns, channels] = h.shape;
  const groups = Math.min(GROUPS, channels);
  const grouped = tf.reshape(h, [batch, rows, columns, groups, channels / groups]);
  const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
  const normalised = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, EPSILON)));
  return tf.add(tf.mul(tf.reshape(normalised, h.shape), gamma), beta) as tf.Tensor4D;
}
