// What one split step costs next to one whole-model step, in process (no network): the time of each
// on this machine's backend and the bytes that cross each cut per image. A first figure for
// docs/split-learning.md until `radfed bench split` measures a real link:
//   npx tsx main/site/train/split/split-step-benchmark.ts [architecture] [inputSize] [batch]
import { selectBackend, tf } from '../backend/index.ts';
import { createModel } from '../models/index.ts';
import { HubTrunk, sgdOptimizer, SplitSite } from './index.ts';

const WARM_UP = 2;
const MEASURED = 8;

export interface SplitStepFigures {
  readonly backend: string;
  readonly architecture: string;
  readonly inputSize: number;
  readonly batch: number;
  readonly wholeStepMs: number;
  readonly splitStepMs: number;
  /** Bytes per image in float16 frames, headers included. */
  readonly upBytesPerImage: number;
  readonly downBytesPerImage: number;
}

export async function benchmarkSplitStep(
  architecture: string,
  inputSize: number,
  batch: number,
): Promise<SplitStepFigures> {
  const config = { inputSize, channels: 1, numClasses: 2, seed: 1 };
  const x = tf.randomNormal([batch, inputSize, inputSize, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 2);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);

  const whole = createModel(architecture, config);
  const trainable = whole.parameters.filter((p) => p.trainable);
  const sgd = sgdOptimizer(0.01);
  const wholeStep = async () => {
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, whole.logits(x, { training: true })) as tf.Scalar,
      trainable.map((p) => p.variable),
    );
    sgd.apply(new Map(trainable.map((p) => [p.name, grads[p.variable.name]!])), trainable);
    await value.data();
    value.dispose();
  };

  const siteModel = createModel(architecture, config);
  const hubModel = createModel(architecture, config);
  const optimizers = { bottom: sgdOptimizer(0.01), head: sgdOptimizer(0.01) };
  const site = new SplitSite(siteModel, { session: 'f'.repeat(32), optimizers });
  const hub = new HubTrunk(hubModel, { optimizer: sgdOptimizer(0.01) });
  let step = 0;
  let up = 0;
  let down = 0;
  const splitStep = async () => {
    const up1 = await site.forwardBottom(step, step, x);
    const down2 = await hub.forwardTrunk(up1);
    const head = await site.headStep(down2, labels);
    const down1 = (await hub.backwardTrunk(head.frame)).frame;
    await site.backwardBottom(down1);
    up = up1.length + head.frame.length;
    down = down2.length + down1.length;
    step++;
  };

  const wholeStepMs = await medianMs(wholeStep);
  const splitStepMs = await medianMs(splitStep);
  [whole, siteModel, hubModel].forEach((m) => m.dispose());
  return {
    backend: tf.getBackend(),
    architecture,
    inputSize,
    batch,
    wholeStepMs,
    splitStepMs,
    upBytesPerImage: Math.round(up / batch),
    downBytesPerImage: Math.round(down / batch),
  };
}

async function medianMs(run: () => Promise<void>): Promise<number> {
  for (let i = 0; i < WARM_UP; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < MEASURED; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]!);
}

if (process.argv[1]?.endsWith('split-step-benchmark.ts')) {
  const [architecture = 'resnet-small', size = '128', batch = '16'] = process.argv.slice(2);
  await selectBackend({ choice: 'wasm' });
  console.log(JSON.stringify(await benchmarkSplitStep(architecture, Number(size), Number(batch)), null, 2));
}
