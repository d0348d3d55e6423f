// FedAdam (Reddi et al., "Adaptive Federated Optimization", ICLR 2021): the server treats the averaged
// site update Δ as a pseudo-gradient (pointing downhill) and takes an Adam step with it:
//   m ← β₁m + (1−β₁)Δ,  v ← β₂v + (1−β₂)Δ²,  w ← w + η · m̂ / (√v̂ + ε)
// with Adam's bias corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), so the first rounds take full-sized
// steps (the paper leaves them out; Flower and Adam itself keep them). ε plays the paper's τ.
import { FederationError } from './errors.ts';
import type { NamedTensor, WeightSet } from './tensors.ts';

export interface FedAdamState {
  readonly kind: 'fedadam';
  /** Server steps taken so far. */
  readonly step: number;
  readonly m: NamedTensor[];
  readonly v: NamedTensor[];
}

export interface FedAdamSettings {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export function fedAdamStep(
  global: WeightSet,
  meanDelta: WeightSet,
  previous: FedAdamState | null,
  settings: FedAdamSettings,
): { weights: NamedTensor[]; serverState: FedAdamState } {
  const { learningRate, beta1, beta2, epsilon } = settings;
  const step = (previous?.step ?? 0) + 1;
  // Matched by name, not position: a DP fine-tuning task's update holds only the tensors it trains
  // (roundTensors); a tensor the update does not hold keeps its weights and its moments.
  const deltas = new Map(meanDelta.map((tensor) => [tensor.name, tensor.data]));
  const known = new Set(global.map((tensor) => tensor.name));
  const stray = meanDelta.find((tensor) => !known.has(tensor.name));
  if (stray) {
    throw new FederationError(
      'layout-mismatch',
      `The change names a tensor "${stray.name}" that the global model does not have; train from the current global model.`,
    );
  }
  const mPrev = new Map((previous?.m ?? []).map((tensor) => [tensor.name, tensor.data]));
  const vPrev = new Map((previous?.v ?? []).map((tensor) => [tensor.name, tensor.data]));
  const mCorrection = 1 - beta1 ** step;
  const vCorrection = 1 - beta2 ** step;
  const m: NamedTensor[] = [];
  const v: NamedTensor[] = [];
  const weights = global.map((tensor) => {
    const delta = deltas.get(tensor.name);
    const mOld = mPrev.get(tensor.name);
    const vOld = vPrev.get(tensor.name);
    const shape = [...tensor.shape];
    if (!delta) {
      m.push({
        name: tensor.name,
        shape,
        data: mOld ? Float32Array.from(mOld) : new Float32Array(tensor.data.length),
      });
      v.push({
        name: tensor.name,
        shape: [...shape],
        data: vOld ? Float32Array.from(vOld) : new Float32Array(tensor.data.length),
      });
      return { name: tensor.name, shape: [...shape], data: new Float32Array(tensor.data) };
    }
    if (delta.length !== tensor.data.length) {
      throw new FederationError(
        'layout-mismatch',
        `The change to "${tensor.name}" has ${delta.length} values but the global model has ${tensor.data.length}.`,
      );
    }
    const mNew = new Float32Array(delta.length);
    const vNew = new Float32Array(delta.length);
    const out = new Float32Array(delta.length);
    for (let i = 0; i < delta.length; i += 1) {
      const d = delta[i] as number;
      const mi = beta1 * ((mOld?.[i] ?? 0) as number) + (1 - beta1) * d;
      const vi = beta2 * ((vOld?.[i] ?? 0) as number) + (1 - beta2) * d * d;
      mNew[i] = mi;
      vNew[i] = vi;
      out[i] =
        (tensor.data[i] as number) +
        (learningRate * (mi / mCorrection)) / (Math.sqrt(vi / vCorrection) + epsilon);
    }
    m.push({ name: tensor.name, shape, data: mNew });
    v.push({ name: tensor.name, shape: [...shape], data: vNew });
    return { name: tensor.name, shape: [...shape], data: out };
  });
  return { weights, serverState: { kind: 'fedadam', step, m, v } };
}
