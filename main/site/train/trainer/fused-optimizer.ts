// What Adam and SGD with momentum share: one fused update per weight tensor on three paths, and the
// per-tensor state (moments, momentum) each path keeps in its own form.
// - heap (WebAssembly): one JavaScript loop over the module's memory, the state in plain arrays;
// - webgpu: one WGSL dispatch per tensor (kernels/webgpu-optimizer.ts), the state in GPU buffers that
//   only the optimiser holds, updated in place; RADFED_WEBGPU_FUSED_OPTIMIZER=0 turns it off;
// - ops (the CPU backend, and WebGPU with the switch off): tfjs ops, the state in variables.
// Either way the new weights are a fresh tensor that the variable is assigned, never an in-place write:
// the wasm backend caches packed weights per tensor, and a variable may share its buffer with another tensor.
import { tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import { WebgpuCommandStream, type GpuBuffer } from '../kernels/index.ts';
import type { NamedTensor, NamedValues } from '../models/index.ts';
import type { Optimizer, OptimizerName } from './optimizer.ts';

export type UpdatePath = 'heap' | 'webgpu' | 'ops';

/** The path the current backend updates weights on. */
export function updatePath(): UpdatePath {
  const backend = tf.getBackend();
  if (backend === 'wasm') return 'heap';
  if (backend === 'webgpu' && process.env.RADFED_WEBGPU_FUSED_OPTIMIZER !== '0') return 'webgpu';
  return 'ops';
}

/** The WebGPU backend's command stream, found by name: state() and dispose() may run after a switch of backend. */
function webgpuStream(): WebgpuCommandStream {
  const backend = tf.findBackend('webgpu');
  if (!backend)
    throw new TrainError('backend-unavailable', 'The WebGPU backend holding the optimizer state is gone.');
  return new WebgpuCommandStream(backend);
}

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** One tensor's state: one array, buffer or variable per slot (Adam: m and v; SGD: momentum). */
type Slots =
  | { path: 'heap'; values: Float32Array[] }
  | { path: 'webgpu'; buffers: GpuBuffer[] }
  | { path: 'ops'; variables: tf.Variable[] };

export abstract class FusedOptimizer implements Optimizer {
  /** Steps taken (PyTorch's `step`, tfjs's `iterations`). */
  step = 0;
  private readonly slots = new Map<string, Slots>();

  /** `name` prefixes the checkpoint's entries: `${name}/step`, `${name}/${slot}/${tensor}`. */
  protected constructor(
    public learningRate: number,
    readonly name: OptimizerName,
    private readonly slotNames: readonly string[],
  ) {}

  /** One step over the heap's views: updates `state` in place and writes the new weights into `next`. */
  protected abstract heapLoop(
    w: Float32Array,
    g: Float32Array,
    state: Float32Array[],
    next: Float32Array,
  ): void;
  /** One WGSL dispatch: updates `state` in place, returns the new weights. */
  protected abstract gpuUpdate(w: tf.TensorInfo, g: tf.TensorInfo, state: GpuBuffer[]): tf.TensorInfo;
  /** tfjs ops (inside a tidy): assigns the new state, returns the new weights. */
  protected abstract opsUpdate(w: tf.Tensor, g: tf.Tensor, state: tf.Variable[]): tf.Tensor;

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
    const path = updatePath();
    for (const p of parameters) {
      const gradient = grads[p.variable.name];
      if (!gradient || p.variable.size === 0) continue;
      const state = this.slotsOf(p, path);
      let updated: tf.Tensor;
      if (state.path === 'heap') updated = this.updateOnHeap(p, gradient, state.values);
      else if (state.path === 'webgpu')
        updated = tf.engine().makeTensorFromTensorInfo(this.gpuUpdate(p.variable, gradient, state.buffers));
      else updated = tf.tidy(() => this.opsUpdate(p.variable, gradient, state.variables));
      p.variable.assign(updated);
      updated.dispose(); // the variable now holds the data; the tensor object would count as a leak
    }
    for (const g of Object.values(grads)) g.dispose();
    return value;
  }

  private updateOnHeap(p: NamedTensor, gradient: tf.Tensor, state: Float32Array[]): tf.Tensor {
    const backend = tf.backend() as unknown as HeapBackend;
    const out = backend.makeOutput([...p.variable.shape], 'float32');
    // Views after the allocation: it may have grown (and moved) the module's memory.
    this.heapLoop(
      backend.typedArrayFromHeap(p.variable),
      backend.typedArrayFromHeap(gradient),
      state,
      backend.typedArrayFromHeap(out),
    );
    return tf.engine().makeTensorFromTensorInfo(out);
  }

  private slotsOf(p: NamedTensor, path: UpdatePath): Slots {
    const found = this.slots.get(p.name);
    if (found) {
      if (found.path !== path) {
        throw new TrainError(
          'invalid-option',
          `The optimizer's state of ${p.name} was made for another backend (${found.path}, now ${path}): save a checkpoint and restore it into a new optimizer after changing backends.`,
        );
      }
      return found;
    }
    const made = this.makeSlots(p, path);
    this.slots.set(p.name, made);
    return made;
  }

  private makeSlots(p: NamedTensor, path: UpdatePath, values?: readonly Float32Array[]): Slots {
    const size = p.variable.size;
    const initial = (k: number) => values?.[k];
    if (path === 'heap') {
      return { path, values: this.slotNames.map((_, k) => initial(k)?.slice() ?? new Float32Array(size)) };
    }
    if (path === 'webgpu') {
      const stream = webgpuStream();
      return { path, buffers: this.slotNames.map((_, k) => stream.createStorage(size, initial(k))) };
    }
    return {
      path,
      variables: this.slotNames.map((_, k) => {
        const values = initial(k);
        return tf.variable(values ? tf.tensor(values, p.variable.shape) : tf.zerosLike(p.variable), false);
      }),
    };
  }

  private async slotValues(p: NamedTensor, state: Slots): Promise<Float32Array[]> {
    if (state.path === 'heap') return state.values.map((v) => v.slice());
    if (state.path === 'webgpu') {
      const stream = webgpuStream();
      return Promise.all(state.buffers.map((b) => stream.read(b, p.variable.size)));
    }
    return Promise.all(state.variables.map(async (v) => ((await v.data()) as Float32Array).slice()));
  }

  /** The state for a checkpoint, under the model's stable tensor names (asynchronous reads only). */
  async state(parameters: readonly NamedTensor[]): Promise<NamedValues[]> {
    const out: NamedValues[] = [
      { name: `${this.name}/step`, shape: [], values: Float32Array.of(this.step), trainable: false },
    ];
    for (const p of parameters) {
      const found = this.slots.get(p.name);
      if (!found) continue;
      const values = await this.slotValues(p, found);
      this.slotNames.forEach((slot, k) => {
        out.push({
          name: `${this.name}/${slot}/${p.name}`,
          shape: [...p.variable.shape],
          values: values[k]!,
          trainable: false,
        });
      });
    }
    return out;
  }

  restore(parameters: readonly NamedTensor[], state: readonly NamedValues[]): void {
    const byName = new Map(state.map((s) => [s.name, s]));
    const step = byName.get(`${this.name}/step`);
    if (!step) {
      const other = state.find((s) => s.name.endsWith('/step'))?.name.split('/')[0];
      throw new TrainError(
        'invalid-checkpoint',
        other
          ? `The checkpoint holds the state of another optimizer (${other}, not ${this.name}): train with ${other}, or start from an empty checkpoint folder.`
          : 'The optimizer state has no step count.',
      );
    }
    this.disposeSlots();
    this.step = step.values[0] ?? 0;
    const path = updatePath();
    for (const p of parameters) {
      const saved = this.slotNames.map((slot) => byName.get(`${this.name}/${slot}/${p.name}`));
      if (saved.some((s) => !s)) continue;
      if (saved.some((s) => s!.values.length !== p.variable.size)) {
        throw new TrainError(
          'invalid-checkpoint',
          `The optimizer state of ${p.name} does not fit the model.`,
        );
      }
      this.slots.set(
        p.name,
        this.makeSlots(
          p,
          path,
          saved.map((s) => s!.values),
        ),
      );
    }
  }

  private disposeSlots(): void {
    const buffers: GpuBuffer[] = [];
    for (const state of this.slots.values()) {
      if (state.path === 'ops') state.variables.forEach((v) => v.dispose());
      if (state.path === 'webgpu') buffers.push(...state.buffers);
    }
    if (buffers.length > 0) webgpuStream().release(buffers);
    this.slots.clear();
  }

  dispose(): void {
    this.disposeSlots();
  }
}
