// Two sites train one model with split learning against one trunk, in process: each site's images
// and labels stay in its own SplitSite, only float16 cut frames go to the shared HubTrunk, and after
// every epoch the two sites' segments are averaged (as the round machinery will, under secure
// aggregation). The model learns the synthetic nodule (a small bright patch in noise) on images
// neither site trained on.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { createModel, splitModel, type NamedTensor } from '../models/index.ts';
import { adamOptimizer, HubTrunk, SplitSite } from './index.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

const SIZE = 16;
const CONFIG = { inputSize: SIZE, channels: 1, numClasses: 2, seed: 21 };
const BATCH = 16;
const EPOCHS = 3;
const PER_SITE = 192;

/** `count` images of noise, half with a 3×3 nodule at a random place (label 1). */
function nodules(count: number, seed: number): { images: Float32Array; labels: Int32Array } {
  const random = new SeededRandom(seed);
  const images = new Float32Array(count * SIZE * SIZE);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const image = images.subarray(n * SIZE * SIZE, (n + 1) * SIZE * SIZE);
    for (let i = 0; i < image.length; i++) image[i] = random.normal() * 0.3;
    labels[n] = n % 2;
    if (labels[n] === 1) {
      const row = random.int(1, SIZE - 4);
      const column = random.int(1, SIZE - 4);
      for (let r = row; r < row + 3; r++) for (let c = column; c < column + 3; c++) image[r * SIZE + c]! += 2;
    }
  }
  return { images, labels };
}

function batchOf(data: { images: Float32Array; labels: Int32Array }, index: number) {
  const from = index * BATCH;
  return {
    images: tf.tensor4d(data.images.subarray(from * SIZE * SIZE, (from + BATCH) * SIZE * SIZE), [
      BATCH,
      SIZE,
      SIZE,
      1,
    ]),
    labels: data.labels.subarray(from, from + BATCH),
  };
}

/** FedAvg of the sites' segments with equal weights: what a round does to them, here in the clear. */
function averageSegments(segments: (readonly NamedTensor[])[]): void {
  segments[0]!.forEach((_, i) => {
    const mean = tf.tidy(() => tf.div(tf.addN(segments.map((s) => s[i]!.variable)), segments.length));
    for (const s of segments) s[i]!.variable.assign(mean);
    mean.dispose();
  });
}

describe('split learning in process', () => {
  it('two sites and one trunk learn the synthetic nodule from float16 frames; images and labels stay at the sites', async () => {
    const sites = [0, 1].map((i) => {
      const model = createModel('resnet-small-gn', CONFIG);
      const optimizers = { bottom: adamOptimizer(0.01), head: adamOptimizer(0.01) };
      const site = new SplitSite(model, { session: `${i}`.repeat(32), dtype: 'float16', optimizers });
      return { model, site, data: nodules(PER_SITE, 100 + i) };
    });
    const hubModel = createModel('resnet-small-gn', CONFIG);
    const hub = new HubTrunk(hubModel, { dtype: 'float16', optimizer: adamOptimizer(0.01) });

    const epochLoss: number[] = [];
    let step = 0;
    let bytesUp = 0;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      let loss = 0;
      for (let index = 0; index < PER_SITE / BATCH; index++) {
        for (const { site, data } of sites) {
          const { images, labels } = batchOf(data, index);
          const up1 = await site.forwardBottom(step, index, images);
          images.dispose();
          const head = await site.headStep(await hub.forwardTrunk(up1), labels);
          await site.backwardBottom((await hub.backwardTrunk(head.frame)).frame);
          bytesUp += up1.length + head.frame.length;
          loss += head.loss;
          step++;
        }
      }
      epochLoss.push(loss / step);
      step = 0;
      averageSegments(sites.map((s) => s.site.segmentParameters));
    }
    expect(epochLoss.at(-1)!).toBeLessThan(epochLoss[0]! * 0.5);
    // What went up per image: float16 activations at cut 1 (32 channels, a quarter of the side) and
    // the gradient at cut 2, with their headers; nothing the size of an image and its label.
    expect(bytesUp / (EPOCHS * 2 * PER_SITE)).toBeLessThan(2 * 32 * (SIZE / 4) ** 2 + 2 * 128 + 64);

    const test = nodules(128, 999);
    const { bottom, head } = splitModel(sites[0]!.model);
    const x = tf.tensor4d(test.images, [128, SIZE, SIZE, 1]);
    const predicted = tf.tidy(() =>
      tf.argMax(head.apply(hub.trunk.apply(bottom.apply(x, 'infer'), 'infer'), 'infer'), 1).dataSync(),
    );
    const correct = test.labels.filter((label, i) => predicted[i] === label).length;
    expect(correct / 128).toBeGreaterThan(0.9);
    [...sites.map((s) => s.model), hubModel].forEach((m) => m.dispose());
  });
});
