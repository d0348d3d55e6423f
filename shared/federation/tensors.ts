// Model weights as the federation sees them: an ordered list of named float32 tensors. The site's
// trainer converts its tfjs weights to and from this shape; the hub never needs tfjs.
import { FederationError } from './errors.ts';

export interface NamedTensor {
  /** The weight's name as the model knows it, e.g. "conv2d_1/kernel". Unique within a weight set. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type WeightSet = readonly NamedTensor[];

/** Names and shapes only: what two weight sets must share to be added or averaged. */
export interface TensorLayout {
  readonly name: string;
  readonly shape: readonly number[];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

export function layoutOf(weights: WeightSet): TensorLayout[] {
  return weights.map(({ name, shape }) => ({ name, shape: [...shape] }));
}

/** Total bytes as raw float32: the yardstick for compression and bandwidth figures. */
export function float32ByteLength(weights: WeightSet): number {
  return weights.reduce((sum, tensor) => sum + tensor.data.length * 4, 0);
}

/** Throws a FederationError naming the first tensor whose name, order or shape differs. */
export function assertSameLayout(actual: readonly TensorLayout[], expected: readonly TensorLayout[]): void {
  const expectedNames = new Set(expected.map((tensor) => tensor.name));
  for (const tensor of actual) {
    if (!expectedNames.has(tensor.name)) {
      throw new FederationError(
        'layout-mismatch',
        `The update has a tensor "${tensor.name}" that the global model does not have; train from the current global model.`,
      );
    }
  }
  if (actual.length !== expected.length) {
    const actualNames = new Set(actual.map((tensor) => tensor.name));
    const missing = expected.find((tensor) => !actualNames.has(tensor.name));
    throw new FederationError(
      'layout-mismatch',
      `The update has ${actual.length} tensors but the global model has ${expected.length}` +
        `${missing ? ` (missing "${missing.name}")` : ''}; train from the current global model.`,
    );
  }
  expected.forEach((want, index) => {
    const got = actual[index];
    if (!got || got.name !== want.name) {
      throw new FederationError(
        'layout-mismatch',
        `Tensor ${index} of the update is "${got?.name}" but the global model has "${want.name}" there; keep the model's weight order.`,
      );
    }
    if (got.shape.length !== want.shape.length || got.shape.some((size, axis) => size !== want.shape[axis])) {
      throw new FederationError(
        'layout-mismatch',
        `Tensor "${want.name}" has shape [${got.shape.join(', ')}] but the global model has [${want.shape.join(', ')}]; train from the current global model.`,
      );
    }
  });
}

/** Throws a FederationError when a tensor holds NaN or an infinity (a diverged or corrupted update). */
export function assertFinite(weights: WeightSet): void {
  for (const tensor of weights) {
    let bad = 0;
    for (const value of tensor.data) if (!Number.isFinite(value)) bad += 1;
    if (bad > 0) {
      throw new FederationError(
        'not-finite',
        `Tensor "${tensor.name}" has ${bad} value${bad === 1 ? '' : 's'} that ${bad === 1 ? 'is' : 'are'} not finite (NaN or infinity); ` +
          'local training diverged: lower the learning rate and train again.',
      );
    }
  }
}

export function cloneWeights(weights: WeightSet): NamedTensor[] {
  return weights.map(({ name, shape, data }) => ({ name, shape: [...shape], data: new Float32Array(data) }));
}

export function zerosLike(weights: readonly TensorLayout[]): NamedTensor[] {
  return weights.map(({ name, shape }) => ({
    name,
    shape: [...shape],
    data: new Float32Array(elementCount(shape)),
  }));
}

/** a + scale·b, tensor by tensor (layouts must match). */
export function addScaled(a: WeightSet, b: WeightSet, scale = 1): NamedTensor[] {
  assertSameLayout(layoutOf(b), layoutOf(a));
  return a.map((tensor, index) => {
    const other = (b[index] as NamedTensor).data;
    const out = new Float32Array(tensor.data.length);
    for (let i = 0; i < out.length; i += 1)
      out[i] = (tensor.data[i] as number) + scale * (other[i] as number);
    return { name: tensor.name, shape: [...tensor.shape], data: out };
  });
}

/** The update a site sends: its locally trained weights minus the global model it started from. */
export function weightDelta(local: WeightSet, global: WeightSet): NamedTensor[] {
  return addScaled(local, global, -1);
}
