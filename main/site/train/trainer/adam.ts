// Adam (Kingma & Ba 2015, PyTorch's form: w −= lr·m̂ / (√v̂ + ε)) with one fused update per weight
// tensor. tfjs's Adam runs about twelve kernels per weight tensor per step, each with a fixed cost
// that dominates small models (a residual network has forty weight tensors); on WebAssembly this
// update is one pass in JavaScript over the module's memory, the moments kept in plain arrays.
import { tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import type { NamedTensor, NamedValues } from '../models/index.ts';

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

interface Moments {
  m: Float32Array | tf.Variable;
  v: Float32Array | tf.Variable;
}

export class FusedAdam {
  /** Steps taken (PyTorch's `step`, tfjs's `iterations`). */
  step = 0;
  private readonly moments = new Map<string, Moments>();

  constructor(
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {}

  /** One step on `loss`; returns the loss (the caller disposes it). */
  minimize(loss: () => tf.Scalar, parameters: readonly NamedTensor[]): tf.Scalar {
    const { value, grads } = tf.variableGrads(
      loss,
      parameters.map((p) => p.variable),
    );
    return this.applyGradients(value, grads, parameters);
  }

  /** One step with gradients computed elsewhere (DP-SGD: clipped per microbatch and noised). Disposes them. */
  applyGradients(value: tf.Scalar, grads: tf.NamedTensorMap, parameters: readonly NamedTensor[]): tf.Scalar {
    this.step++;
    const onHeap = tf.getBackend() === 'wasm';
    for (const p of parameters) {
      const gradient = grads[p.variable.name];
      if (!gradient) continue;
      if (onHeap) this.updateOnHeap(p, gradient);
      else this.updateWithOps(p, gradient);
    }
    for (const g of Object.values(grads)) g.dispose();
    return value;
  }

  private moment(p: NamedTensor, onHeap: boolean): Moments {
    let found = this.moments.get(p.name);
    if (!found) {
      found = onHeap
        ? { m: new Float32Array(p.variable.size), v: new Float32Array(p.variable.size) }
        : {
            m: tf.variable(tf.zerosLike(p.variable), false),
            v: tf.variable(tf.zerosLike(p.variable), false),
          };
      this.moments.set(p.name, found);
    }
    return found;
  }

  private updateOnHeap(p: NamedTensor, gradient: tf.Tensor): void {
    const { m, v } = this.moment(p, true) as { m: Float32Array; v: Float32Array };
    const backend = tf.backend() as unknown as HeapBackend;
    const out = backend.makeOutput([...p.variable.shape], 'float32');
    // Views after the allocation: it may have grown (and moved) the module's memory.
    const next = backend.typedArrayFromHeap(out);
    const w = backend.typedArrayFromHeap(p.variable);
    const g = backend.typedArrayFromHeap(gradient);
    const { beta1: b1, beta2: b2, epsilon } = this;
    const rate = this.learningRate / (1 - b1 ** this.step);
    const correction2 = 1 / (1 - b2 ** this.step);
    for (let i = 0; i < next.length; i++) {
      const gi = g[i]!;
      const mi = b1 * m[i]! + (1 - b1) * gi;
      const vi = b2 * v[i]! + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      next[i] = w[i]! - (rate * mi) / (Math.sqrt(vi * correction2) + epsilon);
    }
    // A new tensor, not an in-place write: the wasm backend caches packed weights per tensor.
    const updated = tf.engine().makeTensorFromTensorInfo(out);
    p.variable.assign(updated);
    updated.dispose();
  }

  private updateWithOps(p: NamedTensor, gradient: tf.Tensor): void {
    const { m, v } = this.moment(p, false) as { m: tf.Variable; v: tf.Variable };
    tf.tidy(() => {
      const mi = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
      const vi = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
      m.assign(mi);
      v.assign(vi);
      const mHat = tf.div(mi, 1 - this.beta1 ** this.step);
      const vHat = tf.div(vi, 1 - this.beta2 ** this.step);
      p.variable.assign(
        tf.sub(p.variable, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), this.learningRate)),
      );
    });
  }

  /** The state for a checkpoint, under the model's stable tensor names. */
  async state(parameters: readonly NamedTensor[]): Promise<NamedValues[]> {
    const out: NamedValues[] = [
      { name: 'adam/step', shape: [], values: Float32Array.of(this.step), trainable: false },
    ];
    for (const p of parameters) {
      const found = this.moments.get(p.name);
      if (!found) continue;
      for (const [kind, value] of [
        ['m', found.m],
        ['v', found.v],
      ] as const) {
        const values =
          value instanceof Float32Array ? value.slice() : ((await value.data()) as Float32Array).slice();
        out.push({ name: `adam/${kind}/${p.name}`, shape: [...p.variable.shape], values, trainable: false });
      }
    }
    return out;
  }

  restore(parameters: readonly NamedTensor[], state: readonly NamedValues[]): void {
    const byName = new Map(state.map((s) => [s.name, s]));
    const step = byName.get('adam/step');
    if (!step) throw new TrainError('invalid-checkpoint', 'The optimizer state has no step count.');
    this.disposeMoments();
    this.step = step.values[0] ?? 0;
    const onHeap = tf.getBackend() === 'wasm';
    for (const p of parameters) {
      const m = byName.get(`adam/m/${p.name}`);
      const v = byName.get(`adam/v/${p.name}`);
      if (!m || !v) continue;
      if (m.values.length !== p.variable.size || v.values.length !== p.variable.size) {
        throw new TrainError(
          'invalid-checkpoint',
          `The optimizer state of ${p.name} does not fit the model.`,
        );
      }
      this.moments.set(
        p.name,
        onHeap
          ? { m: m.values.slice(), v: v.values.slice() }
          : {
              m: tf.variable(tf.tensor(m.values, m.shape), false),
              v: tf.variable(tf.tensor(v.values, v.shape), false),
            },
      );
    }
  }

  private disposeMoments(): void {
    for (const { m, v } of this.moments.values()) {
      if (!(m instanceof Float32Array)) m.dispose();
      if (!(v instanceof Float32Array)) v.dispose();
    }
    this.moments.clear();
  }

  dispose(): void {
    this.disposeMoments();
  }
}
