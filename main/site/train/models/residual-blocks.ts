// What the residual networks are built of (He et al. 2016): convolutions with He-normal kernels,
// normalisation layers with their running statistics, and the basic block (conv bn relu → conv bn, plus
// the input or a 1×1 convolution of it, → relu). resnet-small and ResNet-18 differ in their sizes, their
// padding and their normalisation, not in how a block is made, so both build blocks here.
import { tf } from '../backend/index.ts';
import { batchNormTraining } from './batch-norm.ts';
import type { StageMode } from './model.ts';
import { heNormal, type ParameterStore } from './parameters.ts';

const MOMENTUM = 0.1; // PyTorch's convention: running = (1 − m)·running + m·batch
const EPSILON = 1e-5;
/** Group norm's groups per layer (Wu & He 2018 use 32 of 64+ channels; resnet-small's stem has 16). */
const GROUPS = 8;

export interface ResidualLayerOptions {
  /**
   * 'same' is tfjs's padding (on a stride-2 layer, one more on the bottom and right than on the top
   * and left); 'symmetric' is PyTorch's ((k − 1)/2 on every side), so an output pixel sees the same
   * inputs as in the PyTorch reference.
   */
  readonly padding: 'same' | 'symmetric';
  /**
   * 'group' normalises each image by its own statistics: one image's output then never depends on
   * another's, which per-patient DP-SGD needs, and there are no running statistics to release. The
   * tensors stay batch norm's (the unused moving_* keep their initial 0 and 1).
   */
  readonly normalisation: 'batch' | 'group';
}

export class ResidualLayers {
  constructor(
    private readonly store: ParameterStore,
    private readonly options: ResidualLayerOptions,
  ) {}

  /** A k×k convolution's kernel (no bias: a normalisation follows every one). */
  declareConv(name: string, k: number, cin: number, cout: number): void {
    this.store.add(`${name}/kernel`, [k, k, cin, cout], heNormal(k * k * cin));
  }

  /** A normalisation layer's scale and shift, and its running statistics (not trained). */
  declareNorm(name: string, channels: number): void {
    this.store.add(`${name}/gamma`, [channels], { kind: 'constant', value: 1 });
    this.store.add(`${name}/beta`, [channels], { kind: 'constant', value: 0 });
    this.store.add(`${name}/moving_mean`, [channels], { kind: 'constant', value: 0 }, false);
    this.store.add(`${name}/moving_variance`, [channels], { kind: 'constant', value: 1 }, false);
  }

  /** The weights of a basic block; with `shortcut`, a 1×1 convolution and its norm on the shortcut. */
  declareBasicBlock(block: string, cin: number, cout: number, shortcut: boolean): void {
    this.declareConv(`${block}/conv1`, 3, cin, cout);
    this.declareNorm(`${block}/bn1`, cout);
    this.declareConv(`${block}/conv2`, 3, cout, cout);
    this.declareNorm(`${block}/bn2`, cout);
    if (shortcut) {
      this.declareConv(`${block}/shortcut`, 1, cin, cout);
      this.declareNorm(`${block}/bn_shortcut`, cout);
    }
  }

  convolve(h: tf.Tensor4D, name: string, stride: number): tf.Tensor4D {
    const kernel = this.store.get(`${name}/kernel`) as tf.Tensor4D;
    if (this.options.padding === 'same') return tf.conv2d(h, kernel, stride, 'same');
    const p = (kernel.shape[0] - 1) / 2;
    return tf.conv2d(h, kernel, stride, [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ]);
  }

  normalise(h: tf.Tensor4D, name: string, mode: StageMode): tf.Tensor4D {
    const gamma = this.store.get(`${name}/gamma`) as tf.Variable<tf.Rank.R1>;
    const beta = this.store.get(`${name}/beta`) as tf.Variable<tf.Rank.R1>;
    if (this.options.normalisation === 'group') return groupNorm(h, gamma, beta);
    const movingMean = this.store.get(`${name}/moving_mean`) as tf.Variable<tf.Rank.R1>;
    const movingVariance = this.store.get(`${name}/moving_variance`) as tf.Variable<tf.Rank.R1>;
    if (mode === 'infer') return tf.batchNorm4d(h, movingMean, movingVariance, beta, gamma, EPSILON);
    const running = { mean: movingMean, variance: movingVariance, momentum: MOMENTUM };
    return batchNormTraining(h, gamma, beta, mode === 'train' ? running : null, EPSILON);
  }

  /** conv → norm → relu. */
  convNormRelu(h: tf.Tensor4D, name: string, norm: string, stride: number, mode: StageMode): tf.Tensor4D {
    return tf.relu(this.normalise(this.convolve(h, name, stride), norm, mode));
  }

  /** A basic block declared with declareBasicBlock; the first convolution (and the shortcut's) has `stride`. */
  basicBlock(h: tf.Tensor4D, block: string, stride: number, shortcut: boolean, mode: StageMode): tf.Tensor4D {
    const a = this.convNormRelu(h, `${block}/conv1`, `${block}/bn1`, stride, mode);
    const b = this.normalise(this.convolve(a, `${block}/conv2`, 1), `${block}/bn2`, mode);
    const skip = shortcut
      ? this.normalise(this.convolve(h, `${block}/shortcut`, stride), `${block}/bn_shortcut`, mode)
      : h;
    return tf.relu(tf.add(b, skip)) as tf.Tensor4D;
  }
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
