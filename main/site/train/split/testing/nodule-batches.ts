// Test data for split learning's runs: the synthetic nodule (a 3×3 bright patch in noise, label 1) on
// small images, cut into batches, and the averaging of the sites' segments a round does (in the clear
// here; the round machinery does it under secure aggregation).
import { tf } from '../../backend/index.ts';
import { SeededRandom } from '../../data/index.ts';
import type { NamedTensor } from '../../models/index.ts';

export interface NoduleSet {
  readonly size: number;
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

/** `count` images of `size`², half with a nodule at a random place. */
export function nodules(count: number, seed: number, size = 16): NoduleSet {
  const random = new SeededRandom(seed);
  const images = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const image = images.subarray(n * size * size, (n + 1) * size * size);
    for (let i = 0; i < image.length; i++) image[i] = random.normal() * 0.3;
    labels[n] = n % 2;
    if (labels[n] === 1) {
      const row = random.int(1, size - 4);
      const column = random.int(1, size - 4);
      for (let r = row; r < row + 3; r++) for (let c = column; c < column + 3; c++) image[r * size + c]! += 2;
    }
  }
  return { size, images, labels };
}

/** Batch `index` of `batchSize` images (the caller disposes the tensor). */
export function noduleBatch(set: NoduleSet, index: number, batchSize: number) {
  const from = index * batchSize;
  const pixels = set.size * set.size;
  return {
    images: tf.tensor4d(set.images.subarray(from * pixels, (from + batchSize) * pixels), [
      batchSize,
      set.size,
      set.size,
      1,
    ]),
    labels: set.labels.subarray(from, from + batchSize),
  };
}

/** FedAvg of the sites' segments with equal weights. */
export function averageSegments(segments: (readonly NamedTensor[])[]): void {
  segments[0]!.forEach((_, i) => {
    const mean = tf.tidy(() => tf.div(tf.addN(segments.map((s) => s[i]!.variable)), segments.length));
    for (const s of segments) s[i]!.variable.assign(mean);
    mean.dispose();
  });
}
