// Runs a backend's own kernels from inside one of ours (the way tfjs backends compose kernels), and
// frees every intermediate it made: the engine only tracks the tensor a kernel returns.
import {
  getKernel,
  type DataType,
  type KernelBackend,
  type NamedAttrMap,
  type TensorInfo,
  type TypedArray,
} from '@tensorflow/tfjs-core';

interface BackendWithOutput {
  typedArrayFromHeap?(info: TensorInfo): TypedArray;
  makeOutput?(shape: number[], dtype: DataType, memoryOffset?: number, values?: TypedArray): TensorInfo;
  makeTensorInfo?(shape: number[], dtype: DataType, values?: TypedArray): TensorInfo;
}

export class KernelScope {
  private readonly made: TensorInfo[] = [];
  private readonly kept = new Set<TensorInfo>();

  constructor(
    readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  /** Runs the backend's kernel `name`; its output is freed by `dispose` unless passed to `keep`. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: object = {}): TensorInfo {
    const kernel = getKernel(name, this.backendName);
    if (!kernel) throw new Error(`The ${this.backendName} backend has no ${name} kernel.`);
    const out = kernel.kernelFunc({ inputs, attrs: attrs as NamedAttrMap, backend: this.backend });
    const info = Array.isArray(out) ? out[0]! : out;
    this.made.push(info);
    return info;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (size.every((s, i) => s === x.shape[i]) && begin.every((b) => b === 0)) return x;
    return this.run('Slice', { x }, { begin, size });
  }

  pad(x: TensorInfo, paddings: [number, number][]): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  /** A float32 tensor from values computed in JavaScript. */
  fromValues(shape: number[], values: Float32Array): TensorInfo {
    const backend = this.backend as unknown as BackendWithOutput;
    const info = backend.makeOutput
      ? backend.makeOutput(shape, 'float32', undefined, values)
      : backend.makeTensorInfo!(shape, 'float32', values);
    this.made.push(info);
    return info;
  }

  /** Takes charge of a tensor made outside `run` (a custom program's output). */
  adopt(info: TensorInfo): TensorInfo {
    this.made.push(info);
    return info;
  }

  /**
   * The values of `x`: on WebAssembly a view into the module's memory (no copy; valid until the next
   * allocation, so make outputs first), elsewhere a copy.
   */
  read(x: TensorInfo): Float32Array {
    const backend = this.backend as unknown as BackendWithOutput;
    if (backend.typedArrayFromHeap) return backend.typedArrayFromHeap(x) as Float32Array;
    return this.backend.readSync(x.dataId) as Float32Array;
  }

  /**
   * A zeroed float32 output to fill from JavaScript; `values()` gives the array to write. On
   * WebAssembly that is the tensor's own memory; elsewhere a buffer uploaded by `finish`.
   */
  output(shape: number[], zeroed = true): { info: () => TensorInfo; values: () => Float32Array } {
    const backend = this.backend as unknown as BackendWithOutput;
    if (backend.makeOutput && backend.typedArrayFromHeap) {
      const info = backend.makeOutput(shape, 'float32');
      this.made.push(info);
      let view: Float32Array | undefined;
      return {
        info: () => info,
        values: () => {
          if (view) return view;
          view = backend.typedArrayFromHeap!(info) as Float32Array;
          return zeroed ? view.fill(0) : view;
        },
      };
    }
    const values = new Float32Array(shape.reduce((p, s) => p * s, 1));
    return { info: () => this.fromValues(shape, values), values: () => values };
  }

  /** Keeps `info` from being freed by `finish` (a second output of a kernel). */
  keep(info: TensorInfo): TensorInfo {
    this.kept.add(info);
    return info;
  }

  /** Frees everything made here except `result` (and what was kept), which go back to the engine. */
  finish(result: TensorInfo): TensorInfo {
    for (const info of this.made)
      if (info !== result && !this.kept.has(info)) this.backend.disposeData(info.dataId);
    this.made.length = 0;
    return result;
  }

  dispose(): void {
    for (const info of this.made) this.backend.disposeData(info.dataId);
    this.made.length = 0;
  }
}
