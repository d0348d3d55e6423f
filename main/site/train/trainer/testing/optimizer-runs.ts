// Runs an optimiser over random weight tensors of odd sizes with seeded random gradients, on whichever
// backend is current, and reads the results back asynchronously (WebGPU in Node has no synchronous
// read). The same seed gives the same weights and gradients on every backend, so runs compare.
import { tf } from '../../backend/index.ts';
import { SeededRandom } from '../../data/index.ts';
import type { NamedTensor, NamedValues } from '../../models/index.ts';
import type { Optimizer } from '../optimizer.ts';

/** The kernels' measure of error (max|a − b| / max|b|), for the optimiser specs. */
export { relativeError } from '../../kernels/index.ts';

/** 1, 3, 1000 and 65537 elements: a single bias, a partial workgroup, several, and past 256 workgroups. */
export const ODD_SHAPES: readonly number[][] = [[1], [3], [10, 100], [65537]];

export interface OptimizerCase {
  initial: Float32Array[];
  /** gradients[step][tensor] */
  gradients: Float32Array[][];
}

export function optimizerCase(seed: number, steps: number, shapes = ODD_SHAPES): OptimizerCase {
  const random = new SeededRandom(seed);
  const sizes = shapes.map((s) => s.reduce((p, d) => p * d, 1));
  const normals = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => random.normal() * scale);
  return {
    initial: sizes.map((n) => normals(n, 1)),
    gradients: Array.from({ length: steps }, () => sizes.map((n) => normals(n, 0.1))),
  };
}

export function makeParameters(c: OptimizerCase, shapes = ODD_SHAPES): NamedTensor[] {
  return c.initial.map((values, k) => ({
    name: `layer${k}/kernel`,
    variable: tf.variable(tf.tensor(values, shapes[k]), true),
    trainable: true,
  }));
}

/** Applies steps `from` to `to` (exclusive) of the case's gradients. */
export function applySteps(
  optimizer: Optimizer,
  parameters: readonly NamedTensor[],
  c: OptimizerCase,
  from: number,
  to: number,
): void {
  for (let step = from; step < to; step++) {
    const grads: tf.NamedTensorMap = {};
    parameters.forEach((p, k) => {
      grads[p.variable.name] = tf.tensor(c.gradients[step]![k]!, p.variable.shape);
    });
    optimizer.applyGradients(tf.scalar(0), grads, parameters).dispose();
  }
}

export function readWeights(parameters: readonly NamedTensor[]): Promise<Float32Array[]> {
  return Promise.all(parameters.map(async (p) => (await p.variable.data()) as Float32Array));
}

export interface OptimizerRun {
  weights: Float32Array[];
  state: NamedValues[];
}

/** Every step of the case with a fresh optimiser on the current backend; the final weights and state. */
export async function runOptimizer(
  make: () => Optimizer,
  c: OptimizerCase,
  shapes = ODD_SHAPES,
): Promise<OptimizerRun> {
  const parameters = makeParameters(c, shapes);
  const optimizer = make();
  try {
    applySteps(optimizer, parameters, c, 0, c.gradients.length);
    return { weights: await readWeights(parameters), state: await optimizer.state(parameters) };
  } finally {
    optimizer.dispose();
    parameters.forEach((p) => p.variable.dispose());
  }
}
