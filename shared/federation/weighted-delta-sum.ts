// The arithmetic every summing method shares: the weighted sum Σ nᵢΔᵢ, Σ nᵢ of the sites' updates
// (each the difference between a site's trained weights and the global model), kept in float64 so the
// result does not depend on the order the updates arrived in beyond float32 rounding of the final
// value, and the step that adds a change to the global model.
import { FederationError } from './errors.ts';
import {
  assertSameLayout,
  elementCount,
  layoutOf,
  type NamedTensor,
  type TensorLayout,
  type WeightSet,
} from './tensors.ts';

export interface SiteUpdate {
  readonly siteId: string;
  /** Training examples behind the update: its weight in the mean. */
  readonly examples: number;
  readonly delta: WeightSet;
}

/** Σ nᵢΔᵢ and Σ nᵢ over the updates added so far, in float64. */
export class WeightedDeltaSum {
  private readonly sums: Float64Array[];
  private totalExamples = 0;
  private count = 0;

  constructor(readonly layout: readonly TensorLayout[]) {
    this.sums = layout.map((tensor) => new Float64Array(elementCount(tensor.shape)));
  }

  /**
   * A sum computed elsewhere: with secure aggregation (SecAgg+, ./secagg) the hub unmasks Σ nᵢΔᵢ and Σ nᵢ
   * directly and never sees an individual update.
   */
  static fromTotals(
    layout: readonly TensorLayout[],
    sums: readonly Float64Array[],
    totalExamples: number,
    updates: number,
  ): WeightedDeltaSum {
    const sum = new WeightedDeltaSum(layout);
    sums.forEach((values, index) => (sum.sums[index] as Float64Array).set(values));
    sum.totalExamples = totalExamples;
    sum.count = updates;
    return sum;
  }

  get updates(): number {
    return this.count;
  }

  get examples(): number {
    return this.totalExamples;
  }

  add(update: SiteUpdate): void {
    if (!Number.isFinite(update.examples) || update.examples <= 0) {
      throw new FederationError(
        'bad-strategy',
        `An update needs a positive example count to be weighted (site ${update.siteId} sent ${update.examples}).`,
      );
    }
    assertSameLayout(layoutOf(update.delta), this.layout);
    const weight = update.examples;
    update.delta.forEach((tensor, index) => {
      const sum = this.sums[index] as Float64Array;
      const data = tensor.data;
      for (let i = 0; i < sum.length; i += 1) sum[i] = (sum[i] as number) + weight * (data[i] as number);
    });
    this.totalExamples += weight;
    this.count += 1;
  }

  /** Σ nᵢΔᵢ / Σ nᵢ; tensors for which `include` says false come out as zeros (left as they were). */
  mean(include: (name: string) => boolean = () => true): NamedTensor[] {
    return this.layout.map((tensor, index) => {
      const sum = this.sums[index] as Float64Array;
      const out = new Float32Array(sum.length);
      if (include(tensor.name) && this.totalExamples > 0) {
        for (let i = 0; i < out.length; i += 1) out[i] = (sum[i] as number) / this.totalExamples;
      }
      return { name: tensor.name, shape: [...tensor.shape], data: out };
    });
  }
}

/** Σ nᵢΔᵢ / Σ nᵢ of the given updates (all in memory; the hub streams through WeightedDeltaSum). */
export function weightedMeanDelta(
  updates: readonly SiteUpdate[],
  include: (name: string) => boolean = () => true,
): NamedTensor[] {
  const first = updates[0];
  if (!first) throw new FederationError('bad-strategy', 'There is no update to average.');
  const sum = new WeightedDeltaSum(layoutOf(first.delta));
  for (const update of updates) sum.add(update);
  return sum.mean(include);
}

/**
 * global + delta, pairing tensors by name: a tensor the delta does not hold stays as it is (a split
 * round's update holds the site segments only; the trunk is the hub's, methods/round-tensors.ts).
 */
export function applyDelta(global: WeightSet, delta: WeightSet): NamedTensor[] {
  const changes = new Map(delta.map((tensor) => [tensor.name, tensor.data]));
  const known = new Set(global.map((tensor) => tensor.name));
  const stray = delta.find((tensor) => !known.has(tensor.name));
  if (stray) {
    throw new FederationError(
      'layout-mismatch',
      `The change names a tensor "${stray.name}" that the global model does not have; train from the current global model.`,
    );
  }
  return global.map((tensor) => {
    const change = changes.get(tensor.name);
    const out = new Float32Array(tensor.data);
    if (change) {
      if (change.length !== out.length) {
        throw new FederationError(
          'layout-mismatch',
          `The change to "${tensor.name}" has ${change.length} values but the global model has ${out.length}.`,
        );
      }
      for (let i = 0; i < out.length; i += 1) out[i] = (out[i] as number) + (change[i] as number);
    }
    return { name: tensor.name, shape: [...tensor.shape], data: out };
  });
}
