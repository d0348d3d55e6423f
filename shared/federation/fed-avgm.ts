// FedAvgM (Hsu, Qi & Brown, "Measuring the Effects of Non-Identical Data Distribution for Federated
// Visual Classification", 2019): FedAvg with momentum on the server. The averaged site update Δ is
// accumulated into a velocity and the global model moves along it:
//   u ← β·u + Δ,  w ← w + η·u
// With β = 0 and η = 1 this is FedAvg. Each site takes as many optimiser steps per round as it would
// alone, so plain averaging moves the model no faster than one hospital training alone; the velocity
// keeps the direction the sites agree on across rounds and so gets more out of each round.
// Running statistics (batch-norm means and variances) are measurements, not a descent direction:
// they take the plain average, as in FedAvg.
import { FederationError } from './errors.ts';
import { isLocalTensor } from './tensor-names.ts';
import type { NamedTensor, WeightSet } from './tensors.ts';

export interface FedAvgMState {
  readonly kind: 'fedavgm';
  /** Server steps taken so far. */
  readonly step: number;
  readonly velocity: NamedTensor[];
}

export interface FedAvgMSettings {
  readonly learningRate: number;
  readonly momentum: number;
  /** Tensors whose last name segment is one of these are averaged without momentum. */
  readonly plainTensorSuffixes: readonly string[];
}

export function fedAvgMStep(
  global: WeightSet,
  meanDelta: WeightSet,
  previous: FedAvgMState | null,
  settings: FedAvgMSettings,
): { weights: NamedTensor[]; serverState: FedAvgMState } {
  const { learningRate, momentum, plainTensorSuffixes } = settings;
  // Matched by name, not position: a round's update may hold only some of the model's tensors (a DP
  // fine-tuning task's head, a split site's segments). A tensor the update does not hold keeps its
  // weights and its velocity as they were.
  const deltas = new Map(meanDelta.map((tensor) => [tensor.name, tensor.data]));
  const known = new Set(global.map((tensor) => tensor.name));
  const stray = meanDelta.find((tensor) => !known.has(tensor.name));
  if (stray) {
    throw new FederationError(
      'layout-mismatch',
      `The change names a tensor "${stray.name}" that the global model does not have; train from the current global model.`,
    );
  }
  const before = new Map((previous?.velocity ?? []).map((tensor) => [tensor.name, tensor.data]));
  const velocity: NamedTensor[] = [];
  const weights = global.map((tensor) => {
    const delta = deltas.get(tensor.name);
    const old = before.get(tensor.name);
    if (!delta) {
      velocity.push({
        name: tensor.name,
        shape: [...tensor.shape],
        data: old ? Float32Array.from(old) : new Float32Array(tensor.data.length),
      });
      return { name: tensor.name, shape: [...tensor.shape], data: new Float32Array(tensor.data) };
    }
    if (delta.length !== tensor.data.length) {
      throw new FederationError(
        'layout-mismatch',
        `The change to "${tensor.name}" has ${delta.length} values but the global model has ${tensor.data.length}.`,
      );
    }
    const plain = isLocalTensor(tensor.name, plainTensorSuffixes);
    const next = new Float32Array(delta.length);
    const out = new Float32Array(delta.length);
    for (let i = 0; i < delta.length; i += 1) {
      const d = delta[i] as number;
      if (plain) {
        out[i] = (tensor.data[i] as number) + d;
        continue;
      }
      const u = momentum * ((old?.[i] ?? 0) as number) + d;
      next[i] = u;
      out[i] = (tensor.data[i] as number) + learningRate * u;
    }
    velocity.push({ name: tensor.name, shape: [...tensor.shape], data: next });
    return { name: tensor.name, shape: [...tensor.shape], data: out };
  });
  return { weights, serverState: { kind: 'fedavgm', step: (previous?.step ?? 0) + 1, velocity } };
}
