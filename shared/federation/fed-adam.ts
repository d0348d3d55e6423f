// FedAdam (Reddi et al., "Adaptive Federated Optimization", ICLR 2021): the server treats the averaged
// site update Δ as a pseudo-gradient (pointing downhill) and takes an Adam step with it:
//   m ← β₁m + (1−β₁)Δ,  v ← β₂v + (1−β₂)Δ²,  w ← w + η · m̂ / (√v̂ + ε)
// with Adam's bias corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), so the first rounds take full-sized
// steps (the paper leaves them out; Flower and Adam itself keep them). ε plays the paper's τ.
import { type NamedTensor, type WeightSet, zerosLike } from './tensors.ts';

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
  const mPrev = previous?.m ?? zerosLike(global);
  const vPrev = previous?.v ?? zerosLike(global);
  const mCorrection = 1 - beta1 ** step;
  const vCorrection = 1 - beta2 ** step;
  const m: NamedTensor[] = [];
  const v: NamedTensor[] = [];
  const weights = global.map((tensor, index) => {
    const delta = (meanDelta[index] as NamedTensor).data;
    const mOld = (mPrev[index] as NamedTensor).data;
    const vOld = (vPrev[index] as NamedTensor).data;
    const mNew = new Float32Array(delta.length);
    const vNew = new Float32Array(delta.length);
    const out = new Float32Array(delta.length);
    for (let i = 0; i < delta.length; i += 1) {
      const d = delta[i] as number;
      const mi = beta1 * (mOld[i] as number) + (1 - beta1) * d;
      const vi = beta2 * (vOld[i] as number) + (1 - beta2) * d * d;
      mNew[i] = mi;
      vNew[i] = vi;
      out[i] =
        (tensor.data[i] as number) +
        (learningRate * (mi / mCorrection)) / (Math.sqrt(vi / vCorrection) + epsilon);
    }
    m.push({ name: tensor.name, shape: [...tensor.shape], data: mNew });
    v.push({ name: tensor.name, shape: [...tensor.shape], data: vNew });
    return { name: tensor.name, shape: [...tensor.shape], data: out };
  });
  return { weights, serverState: { kind: 'fedadam', step, m, v } };
}
