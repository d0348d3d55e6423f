// FedAvgM (Hsu, Qi & Brown, "Measuring the Effects of Non-Identical Data Distribution for Federated
// Visual Classification", 2019): FedAvg with momentum on the server. The averaged site update Δ is
// accumulated into a velocity and the global model moves along it:
//   u ← β·u + Δ,  w ← w + η·u
// With β = 0 and η = 1 this is FedAvg. Each site takes as many optimiser steps per round as it would
// alone, so plain averaging moves the model no faster than one hospital training alone; the velocity
// keeps the direction the sites agree on across rounds and so gets more out of each round.
// Running statistics (batch-norm means and variances) are measurements, not a descent direction:
// they take the plain average, as in FedAvg.
import { isLocalTensor } from './tensor-names.ts';
import { type NamedTensor, type WeightSet, zerosLike } from './tensors.ts';

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
  const before = previous?.velocity ?? zerosLike(global);
  const velocity: NamedTensor[] = [];
  const weights = global.map((tensor, index) => {
    const delta = (meanDelta[index] as NamedTensor).data;
    const old = (before[index] as NamedTensor).data;
    const plain = isLocalTensor(tensor.name, plainTensorSuffixes);
    const next = new Float32Array(delta.length);
    const out = new Float32Array(delta.length);
    for (let i = 0; i < delta.length; i += 1) {
      const d = delta[i] as number;
      if (plain) {
        out[i] = (tensor.data[i] as number) + d;
        continue;
      }
      const u = momentum * (old[i] as number) + d;
      next[i] = u;
      out[i] = (tensor.data[i] as number) + learningRate * u;
    }
    velocity.push({ name: tensor.name, shape: [...tensor.shape], data: next });
    return { name: tensor.name, shape: [...tensor.shape], data: out };
  });
  return { weights, serverState: { kind: 'fedavgm', step: (previous?.step ?? 0) + 1, velocity } };
}
