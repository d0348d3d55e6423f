// The practical classifier: a small residual network with batch normalisation (He et al. 2016, basic
// blocks), sized for a workstation: about 0.3 M weights, 128×128 input in a few milliseconds per image
// on two CPU cores. Stem conv3×3/2 (16) → three stages of one basic block each (32, 64, 128 channels,
// stride 2) → global average pool → dense on average- and max-pooled features. Batch-norm tensors are named ".../bn*/..." so federated
// averaging can keep them local (FedBN).
import { tf } from '../backend/index.ts';
import type { ImageModel, ModelConfig, ModelStage, StageMode } from './model.ts';
import { ParameterStore, torchDefault } from './parameters.ts';
import { ResidualLayers } from './residual-blocks.ts';

const STEM = 16;
const STAGES = [32, 64, 128];

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
  const layers = new ResidualLayers(store, { padding: 'same', normalisation });
  layers.declareConv('stem/conv', 3, config.channels, STEM);
  layers.declareNorm('stem/bn', STEM);
  let cin = STEM;
  STAGES.forEach((cout, i) => {
    layers.declareBasicBlock(`block${i + 1}`, cin, cout, true);
    cin = cout;
  });
  // The head sees both the average and the maximum of each feature map: a small lesion moves the
  // maximum much more than the average.
  store.add('head/kernel', [2 * cin, config.numClasses], torchDefault(2 * cin));
  store.add('head/bias', [config.numClasses], torchDefault(2 * cin));

  const stem: ModelStage = {
    name: 'stem',
    apply: (x, mode) => layers.convNormRelu(x as tf.Tensor4D, 'stem/conv', 'stem/bn', 2, mode),
  };
  const blocks = STAGES.map((_, i): ModelStage => {
    const block = `block${i + 1}`;
    return {
      name: block,
      apply: (input, mode) => layers.basicBlock(input as tf.Tensor4D, block, 2, true, mode),
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
