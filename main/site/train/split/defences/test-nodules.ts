// Test and benchmark data for the defences: the synthetic nodule (a bright 3 × 3 patch in noise) at a
// tiny size, with a chosen share of positives (a rare class makes the gradient-length leak visible),
// and a seeded Gaussian source where a test needs noise it can repeat.
import type { GaussianSource } from '../../../../../shared/node/privacy/index.ts';
import { SeededRandom } from '../../data/index.ts';

export interface NoduleSet {
  readonly side: number;
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

/**
 * `count` images `side` pixels a side; image n is positive when n mod `every` is 0 (1 in `every`). The
 * nodule adds `brightness` to noise of standard deviation 0.3 (2: easy; 0.5: a task a few dozen steps
 * do not saturate).
 */
export function nodules(count: number, side: number, seed: number, every = 2, brightness = 2): NoduleSet {
  const random = new SeededRandom(seed);
  const images = new Float32Array(count * side * side);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const image = images.subarray(n * side * side, (n + 1) * side * side);
    for (let i = 0; i < image.length; i++) image[i] = random.normal() * 0.3;
    labels[n] = n % every === 0 ? 1 : 0;
    if (labels[n] === 1) {
      const row = random.int(1, side - 4);
      const column = random.int(1, side - 4);
      for (let r = row; r < row + 3; r++)
        for (let c = column; c < column + 3; c++) image[r * side + c]! += brightness;
    }
  }
  return { side, images, labels };
}

export function seededGaussian(seed: number): GaussianSource {
  const random = new SeededRandom(seed);
  return (count) => Float64Array.from({ length: count }, () => random.normal());
}
