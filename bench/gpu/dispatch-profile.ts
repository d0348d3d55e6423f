// Where a training step's GPU time goes, dispatch by dispatch, on any adapter: records every compute
// dispatch of one step (tfjs's programs and our own WGSL alike, at the WebGPU API), then replays each
// alone and waits for it. WebGPU has no per-dispatch clock without `timestamp-query`, which SwiftShader
// lacks; replaying costs a submit and a wait per dispatch, so the sum exceeds the step, but the shares
// show the culprit (it found the filter gradient's chunk sum: docs/benchmarks.md). Storage buffers are
// replayed as they are (their values do not change the work); uniforms are rebuilt from the bytes the
// step wrote into them, since tfjs reuses those buffers.
// Run (SwiftShader: after one WebGPU spec has made node_modules/.cache/software-webgpu):
//   export LD_LIBRARY_PATH=$PWD/node_modules/.cache/software-webgpu \
//     VK_ICD_FILENAMES=$PWD/node_modules/.cache/software-webgpu/vk_swiftshader_icd.json
//   node --import tsx bench/gpu/dispatch-profile.ts [--model resnet-18] [--size 32] [--batch 1]
import { parseArgs } from 'node:util';
import { selectBackend, tf } from '../../main/site/train/index.ts';
import { WebgpuCommandStream } from '../../main/site/train/kernels/index.ts';
import { FusedAdam } from '../../main/site/train/trainer/index.ts';
import { benchStep } from './bench-step.ts';

/** The few WebGPU objects and methods used here (structural: the project does not load @webgpu/types). */
interface Buffer {
  usage: number;
}
interface BindEntry {
  binding: number;
  resource: { buffer: Buffer; offset?: number; size?: number };
}
interface BindDescriptor {
  layout: unknown;
  entries: BindEntry[];
}
interface Device {
  createComputePipeline(descriptor: unknown): object;
  createBindGroup(descriptor: BindDescriptor): object;
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean }): Buffer & {
    getMappedRange(): ArrayBuffer;
    unmap(): void;
  };
  createCommandEncoder(): {
    beginComputePass(): {
      setPipeline(p: object): void;
      setBindGroup(i: number, g: object): void;
      dispatchWorkgroups(x: number, y: number, z: number): void;
      end(): void;
    };
    finish(): object;
  };
  queue: { submit(buffers: object[]): void; onSubmittedWorkDone(): Promise<void> };
}
type Method = (this: unknown, ...args: unknown[]) => unknown;

interface Dispatch {
  name: string;
  pipeline: object;
  bindings: BindDescriptor;
  /** The bytes of each uniform binding when the bind group was made. */
  uniforms: Map<number, Uint8Array>;
  grid: [number, number, number];
}

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet-18' },
    size: { type: 'string', default: '32' },
    batch: { type: 'string', default: '1' },
  },
});
const size = Number(values.size);
const batch = Number(values.batch);
await selectBackend({ choice: 'webgpu' });
const backend = tf.backend() as unknown as Record<string, Method> & { device: Device };
const device = backend.device;
const globals = globalThis as unknown as Record<string, { prototype: Record<string, Method> }>;
const UNIFORM = (globalThis as unknown as { GPUBufferUsage: { UNIFORM: number } }).GPUBufferUsage.UNIFORM;

/** Replaces `object[name]` with `wrapper(original)` for the rest of the run. */
function wrap<T extends object>(object: T, name: string, wrapper: (original: Method) => Method): void {
  const target = object as unknown as Record<string, Method>;
  target[name] = wrapper(target[name]!);
}

// Names: the tfjs program or our WGSL key being compiled when a pipeline is made.
let making = '';
const names = new WeakMap<object, string>();
wrap(
  backend,
  'runWebGPUProgram',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      making = (args[0] as object).constructor.name;
      return original.apply(this, args);
    },
);
wrap(
  WebgpuCommandStream.prototype,
  'pipeline',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      making = args[0] as string;
      return original.apply(this, args);
    },
);
wrap(
  device,
  'createComputePipeline',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      const pipeline = original.apply(this, args) as object;
      names.set(pipeline, making);
      return pipeline;
    },
);

// The latest bytes written into each uniform buffer, and each bind group's entries with them.
const written = new WeakMap<Buffer, Uint8Array>();
wrap(
  globals.GPUQueue!.prototype,
  'writeBuffer',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      const [buffer, offset, data, dataOffset = 0, length] = args as [
        Buffer,
        number,
        ArrayBufferLike | ArrayBufferView,
        number?,
        number?,
      ];
      if (buffer.usage & UNIFORM && offset === 0) {
        const bytes = ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data);
        const unit =
          ArrayBuffer.isView(data) && 'BYTES_PER_ELEMENT' in data ? (data.BYTES_PER_ELEMENT as number) : 1;
        const start = dataOffset * unit;
        written.set(buffer, bytes.slice(start, length === undefined ? undefined : start + length * unit));
      }
      return original.apply(this, args);
    },
);
const groups = new WeakMap<object, { bindings: BindDescriptor; uniforms: Map<number, Uint8Array> }>();
wrap(
  device,
  'createBindGroup',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      const group = original.apply(this, args) as object;
      const bindings = args[0] as BindDescriptor;
      const uniforms = new Map<number, Uint8Array>();
      for (const entry of bindings.entries) {
        const bytes = written.get(entry.resource.buffer);
        if (entry.resource.buffer.usage & UNIFORM && bytes) uniforms.set(entry.binding, bytes);
      }
      groups.set(group, { bindings, uniforms });
      return group;
    },
);

// The dispatches of a recorded step, with the pass's pipeline and bind group at the time.
let recording: Dispatch[] | null = null;
const passState = new WeakMap<object, { pipeline?: object; group?: object }>();
const pass = globals.GPUComputePassEncoder!.prototype;
wrap(
  pass,
  'setPipeline',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      passState.set(this as object, { ...passState.get(this as object), pipeline: args[0] as object });
      return original.apply(this, args);
    },
);
wrap(
  pass,
  'setBindGroup',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      passState.set(this as object, { ...passState.get(this as object), group: args[1] as object });
      return original.apply(this, args);
    },
);
wrap(
  pass,
  'dispatchWorkgroups',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      const state = passState.get(this as object);
      const group = state?.group ? groups.get(state.group) : undefined;
      if (recording && state?.pipeline && group) {
        const [x, y = 1, z = 1] = args as number[];
        recording.push({
          name: names.get(state.pipeline) ?? '(unnamed)',
          pipeline: state.pipeline,
          ...group,
          grid: [x!, y, z],
        });
      }
      return original.apply(this, args);
    },
);

/** `dispatch` alone, waited for: milliseconds. */
async function replay(dispatch: Dispatch): Promise<number> {
  const entries = dispatch.bindings.entries.map((entry) => {
    const bytes = dispatch.uniforms.get(entry.binding);
    if (!bytes) return entry;
    const buffer = device.createBuffer({
      size: Math.ceil(bytes.length / 4) * 4,
      usage: UNIFORM,
      mappedAtCreation: true,
    });
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
    return { binding: entry.binding, resource: { buffer, offset: 0, size: bytes.length } };
  });
  const group = device.createBindGroup({ layout: dispatch.bindings.layout, entries });
  const encoder = device.createCommandEncoder();
  const computePass = encoder.beginComputePass();
  computePass.setPipeline(dispatch.pipeline);
  computePass.setBindGroup(0, group);
  computePass.dispatchWorkgroups(...dispatch.grid);
  computePass.end();
  const start = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

const { trainable, loss: stepLoss } = benchStep(values.model, size, batch);
const optimizer = new FusedAdam(1e-3);
/** One step, waited for: milliseconds. */
async function step(): Promise<number> {
  const start = performance.now();
  const loss = optimizer.minimize(stepLoss, trainable, true)!;
  await loss.data();
  loss.dispose();
  return performance.now() - start;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
log(`first step (shaders compiled): ${(await step()).toFixed(0)} ms`);
recording = [];
const stepMs = await step();
const dispatches = recording;
recording = null;
log(`second step: ${stepMs.toFixed(0)} ms, ${dispatches.length} dispatches`);
const byName = new Map<string, { count: number; ms: number; workgroups: number }>();
const slowest: { name: string; grid: number[]; ms: number }[] = [];
for (const dispatch of dispatches) {
  const ms = await replay(dispatch);
  const [x, y, z] = dispatch.grid;
  const entry = byName.get(dispatch.name) ?? { count: 0, ms: 0, workgroups: 0 };
  byName.set(dispatch.name, {
    count: entry.count + 1,
    ms: entry.ms + ms,
    workgroups: entry.workgroups + x * y * z,
  });
  slowest.push({ name: dispatch.name, grid: dispatch.grid, ms });
}
const programs = [...byName.entries()]
  .sort((a, b) => b[1].ms - a[1].ms)
  .map(([name, e]) => ({ name, dispatches: e.count, ms: Math.round(e.ms), workgroups: e.workgroups }));
slowest.sort((a, b) => b.ms - a.ms);
process.stdout.write(
  `${JSON.stringify({ ...values, stepMs: Math.round(stepMs), dispatches: dispatches.length, programs, slowest: slowest.slice(0, 15) }, null, 2)}\n`,
);
process.exit(0);
