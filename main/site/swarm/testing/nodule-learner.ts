// Test support: the synthetic nodule (a 3×3 bright patch at a random place in noise, label 1; as in
// main/site/train/split/testing/nodule-batches.ts) and a logistic regression on it in plain
// TypeScript, so swarm rounds can be shown to learn without loading TensorFlow in every member.
import type { NamedTensor, WeightSet } from '../../../../shared/federation/index.ts';
import type { MemberUpdate } from '../round-secagg-member.ts';

export interface NoduleSet {
  readonly size: number;
  readonly images: Float32Array;
  readonly labels: Uint8Array;
}

function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `count` images of `size`², every other one with a nodule. */
export function noduleSet(count: number, seed: number, size = 12): NoduleSet {
  const next = random(seed);
  const normal = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
  const images = new Float32Array(count * size * size);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const image = images.subarray(n * size * size, (n + 1) * size * size);
    for (let i = 0; i < image.length; i++) image[i] = normal() * 0.3;
    labels[n] = n % 2;
    if (labels[n] === 1) {
      const row = 1 + Math.floor(next() * (size - 4));
      const column = 1 + Math.floor(next() * (size - 4));
      for (let r = row; r < row + 3; r++) for (let c = column; c < column + 3; c++) image[r * size + c]! += 1;
    }
  }
  return { size, images, labels };
}

/** The untrained model: every weight 0 (the same at every member, so its hash is the task's). */
export function initialNoduleModel(size = 12): NamedTensor[] {
  return [
    { name: 'dense/kernel', shape: [size * size], data: new Float32Array(size * size) },
    { name: 'dense/bias', shape: [1], data: new Float32Array(1) },
  ];
}

function score(weights: WeightSet, set: NoduleSet, n: number): number {
  const pixels = set.size * set.size;
  const kernel = weights[0]!.data;
  let z = weights[1]!.data[0]!;
  for (let i = 0; i < pixels; i++) z += kernel[i]! * set.images[n * pixels + i]!;
  return z;
}

/** One local epoch of gradient descent from `global`; returns the change and the example count. */
export function trainNodule(global: WeightSet, set: NoduleSet, learningRate = 0.05): MemberUpdate {
  const pixels = set.size * set.size;
  const local = global.map((t) => ({ ...t, data: Float32Array.from(t.data) }));
  const count = set.labels.length;
  for (let n = 0; n < count; n++) {
    const p = 1 / (1 + Math.exp(-score(local, set, n)));
    const error = p - set.labels[n]!;
    for (let i = 0; i < pixels; i++) local[0]!.data[i]! -= learningRate * error * set.images[n * pixels + i]!;
    local[1]!.data[0]! -= learningRate * error;
  }
  const delta = local.map((t, i) => ({ ...t, data: t.data.map((v, j) => v - global[i]!.data[j]!) }));
  return { delta, examples: count };
}

/** Area under the ROC curve of the model on `set` (rank statistic). */
export function noduleAuc(weights: WeightSet, set: NoduleSet): number {
  const scores = Array.from(set.labels, (label, n) => ({ label, s: score(weights, set, n) }));
  const positives = scores.filter((x) => x.label === 1);
  const negatives = scores.filter((x) => x.label === 0);
  let wins = 0;
  for (const p of positives) for (const q of negatives) wins += p.s > q.s ? 1 : p.s === q.s ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}
