// The private parts of tfjs-backend-webgpu that a kernel writing several buffers needs, in one place.
// Read from tfjs-backend-webgpu 4.22.0 (dist/backend_webgpu.js: recordAndSubmit, uploadToGPU,
// makeUniforms, submitQueue, getBufferData); check them when tfjs is upgraded. runWebGPUProgram binds
// every input read-only and writes one output, but the fused optimiser also updates its moments in
// place, so it records its dispatches into the backend's own command stream the way recordAndSubmit
// does: same encoder, same compute pass, same deferred submit, same deferred freeing of the tensors a
// pass uses. The GPU types are structural: the project does not load @webgpu/types globally.
import { env, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';

/** GPUBufferUsage and GPUMapMode flags (WebGPU specification values). */
const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;
const MAP_MODE_READ = 0x01;
/** Invocations per workgroup of every kernel dispatched here (the WGSL must declare the same). */
export const WORKGROUP_SIZE = 256;

export interface GpuBuffer {
  readonly size: number;
  destroy(): void;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}

interface GpuComputePass {
  setPipeline(pipeline: GpuPipeline): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

interface GpuCommandEncoder {
  beginComputePass(descriptor?: object): GpuComputePass;
  copyBufferToBuffer(
    source: GpuBuffer,
    sourceOffset: number,
    target: GpuBuffer,
    targetOffset: number,
    size: number,
  ): void;
}

interface GpuPipeline {
  getBindGroupLayout(index: number): unknown;
}

interface GpuDevice {
  readonly queue: { writeBuffer(buffer: GpuBuffer, offset: number, data: Float32Array): void };
  readonly limits: { maxComputeWorkgroupsPerDimension: number };
  createBuffer(descriptor: { size: number; usage: number }): GpuBuffer;
  createShaderModule(descriptor: { code: string }): unknown;
  createComputePipeline(descriptor: {
    layout: 'auto';
    compute: { module: unknown; entryPoint: string };
  }): GpuPipeline;
  createBindGroup(descriptor: { layout: unknown; entries: { binding: number; resource: object }[] }): unknown;
}

export interface Uniform {
  type: 'float32' | 'uint32';
  data: number[];
}

/** The fields of tfjs-backend-webgpu 4.22.0's WebGPUBackend used here. */
interface WebgpuBackendInternals {
  device: GpuDevice;
  commandEncoder: GpuCommandEncoder | null;
  computePassEncoder: GpuComputePass | null;
  dispatchCountInPass: number;
  activeTimers?: unknown[] | null;
  commandQueueOwnedIds: WeakSet<object>;
  tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  makeUniforms(uniforms: Uniform[]): { offset: number; size: number; buffer: GpuBuffer };
  makeTensorInfo(shape: number[], dtype: 'float32'): TensorInfo;
}

const REQUIRED = [
  'device',
  'commandQueueOwnedIds',
  'tensorMap',
  'ensureCommandEncoderReady',
  'endComputePassEncoder',
  'submitQueue',
  'uploadToGPU',
  'makeUniforms',
  'makeTensorInfo',
] as const;

/**
 * Workgroups over x, and over y past the per-dimension limit (65 535 workgroups, 16.7 M elements, on
 * most adapters). The WGSL's element is `id.y · x · WORKGROUP_SIZE + id.x` (webgpu-optimizer.ts).
 */
export function workgroupGrid(elements: number, limitPerDimension: number): [number, number] {
  const groups = Math.max(1, Math.ceil(elements / WORKGROUP_SIZE));
  const x = Math.min(groups, limitPerDimension);
  return [x, Math.ceil(groups / x)];
}

const pipelines = new WeakMap<GpuDevice, Map<string, GpuPipeline>>();

/** Dispatches of our own WGSL into the WebGPU backend's command stream. */
export class WebgpuCommandStream {
  private readonly backend: WebgpuBackendInternals;

  constructor(backend: KernelBackend) {
    const found = backend as unknown as Record<string, unknown>;
    const missing = REQUIRED.filter((key) => found[key] === undefined);
    if (missing.length > 0) {
      throw new Error(
        `This tfjs-backend-webgpu lacks ${missing.join(', ')} (read from 4.22.0): set RADFED_WEBGPU_FUSED_OPTIMIZER=0 to train with tfjs's own kernels.`,
      );
    }
    this.backend = backend as unknown as WebgpuBackendInternals;
  }

  /** A zero-filled float32 buffer that no tensor shares (WebGPU zeroes new buffers), or one holding `values`. */
  createStorage(length: number, values?: Float32Array): GpuBuffer {
    const buffer = this.backend.device.createBuffer({
      // A binding may not be empty: a size-0 tensor still gets 4 bytes.
      size: Math.max(4, length * 4),
      usage: STORAGE | COPY_SRC | COPY_DST,
    });
    if (values) this.backend.device.queue.writeBuffer(buffer, 0, values);
    return buffer;
  }

  /**
   * The GPU buffer of a float32 tensor, uploaded if its values are still on the CPU, and kept alive
   * until the commands recorded with it are submitted (tfjs defers freeing every id in this set).
   */
  bufferOf(tensor: TensorInfo): GpuBuffer {
    this.backend.uploadToGPU(tensor.dataId);
    const resource = this.backend.tensorMap.get(tensor.dataId)?.resource;
    if (!resource || !('size' in (resource as object)) || 'createView' in (resource as object)) {
      throw new Error('A tensor given to a fused WebGPU kernel is not held in a GPU buffer.');
    }
    this.backend.commandQueueOwnedIds.add(tensor.dataId);
    return resource as GpuBuffer;
  }

  /** A fresh float32 output tensor (its own buffer, written by the next dispatch). */
  makeOutput(shape: readonly number[]): TensorInfo {
    const output = this.backend.makeTensorInfo([...shape], 'float32');
    this.backend.uploadToGPU(output.dataId);
    return output;
  }

  /** `code`'s compute pipeline, compiled once per device. */
  pipeline(key: string, code: string): GpuPipeline {
    const device = this.backend.device;
    let cache = pipelines.get(device);
    if (!cache) pipelines.set(device, (cache = new Map()));
    let pipeline = cache.get(key);
    if (!pipeline) {
      const module = device.createShaderModule({ code });
      pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      cache.set(key, pipeline);
    }
    return pipeline;
  }

  /**
   * One dispatch over `elements` invocations (workgroups of WORKGROUP_SIZE, spread over x and y past
   * the per-dimension limit), bound to `buffers` in order and then the uniforms. As recordAndSubmit:
   * into the open compute pass, submitted once WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches wait.
   */
  dispatch(
    pipeline: GpuPipeline,
    buffers: readonly GpuBuffer[],
    uniforms: Uniform[],
    elements: number,
  ): void {
    const backend = this.backend;
    const entries: { binding: number; resource: object }[] = buffers.map((buffer, binding) => ({
      binding,
      resource: { buffer },
    }));
    entries.push({ binding: buffers.length, resource: backend.makeUniforms(uniforms) });
    const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const [x, y] = workgroupGrid(elements, backend.device.limits.maxComputeWorkgroupsPerDimension);
    backend.ensureCommandEncoderReady();
    backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass({});
    backend.computePassEncoder.setPipeline(pipeline);
    backend.computePassEncoder.setBindGroup(0, bindGroup);
    backend.computePassEncoder.dispatchWorkgroups(x, y, 1);
    backend.dispatchCountInPass++;
    const batch = env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number;
    // While tf.profile times kernels it ends the pass after each one; ours is not timed, only kept apart.
    if (backend.activeTimers != null || batch <= backend.dispatchCountInPass) {
      backend.endComputePassEncoder();
      if (backend.activeTimers == null) backend.submitQueue();
    }
  }

  /** A buffer's values, copied in the backend's command stream so that every update recorded before is in them. */
  async read(buffer: GpuBuffer, length: number): Promise<Float32Array> {
    const backend = this.backend;
    const bytes = Math.max(4, length * 4);
    const staging = backend.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
    try {
      backend.ensureCommandEncoderReady();
      backend.endComputePassEncoder();
      backend.commandEncoder!.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
      backend.submitQueue();
      await staging.mapAsync(MAP_MODE_READ);
      const values = new Float32Array(staging.getMappedRange().slice(0, length * 4));
      staging.unmap();
      return values;
    } finally {
      staging.destroy();
    }
  }

  /** Frees buffers of ours, submitting first any recorded pass that still uses them. */
  release(buffers: readonly GpuBuffer[]): void {
    if (buffers.length === 0) return;
    if (this.backend.commandEncoder) {
      this.backend.endComputePassEncoder();
      this.backend.submitQueue();
    }
    for (const buffer of buffers) buffer.destroy();
  }
}
