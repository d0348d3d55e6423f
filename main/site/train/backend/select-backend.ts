// Picks the backend TensorFlow.js trains on: the first that works of native TensorFlow (tfjs-node-gpu,
// tfjs-node), WebGPU through Dawn, WebAssembly (SIMD, threads), plain JavaScript; or the one a setting
// names. The report says in words which device trains and why each better one was not used.
import os from 'node:os';
import * as tf from './tfjs.ts';
import { SerialQueue } from '../../../../shared/serial-queue.ts';
import { TrainError } from '../errors.ts';
import { registerTrainingKernels, relaxedSimdAvailable } from '../kernels/index.ts';
import { probeDawn } from './webgpu-dawn.ts';
import { prepareWasmThreads, unrefWasmThreads } from './wasm-threads.ts';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

export interface BackendReport {
  name: BackendName;
  /** "CPU via WebAssembly (SIMD, 2 threads)", "NVIDIA H200 via WebGPU (Vulkan)". */
  device: string;
  /** Threads the backend computes with, where it says. */
  threads?: number;
  /** Each backend preferred over the chosen one, with the reason it was not used. */
  notUsed: { backend: BackendName; reason: string }[];
  /** The project's kernels registered on this backend (replacing missing or slow stock ones). */
  kernels: string[];
}

export interface SelectBackendOptions {
  /** 'auto' (default) tries them in order of preference; any other value uses that one or fails. */
  choice?: BackendChoice;
  /** WebAssembly threads (default: the machine's available parallelism). */
  threads?: number;
}

type Attempt = { ok: true; device: string; threads?: number } | { ok: false; reason: string };

const ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

// tfjs has one global backend per process: two trainings that start it at the same moment (three
// demo members, three test sites in one process) interleave its asynchronous start-up, and one then
// runs a kernel on a backend half set up (a worker crashed in oneHot that way). One at a time.
const selection = new SerialQueue();

export function selectBackend(options: SelectBackendOptions = {}): Promise<BackendReport> {
  return selection.run(() => selectBackendNow(options));
}

async function selectBackendNow(options: SelectBackendOptions): Promise<BackendReport> {
  const choice = options.choice ?? 'auto';
  const threads = Math.max(1, options.threads ?? os.availableParallelism());
  const candidates = choice === 'auto' ? ORDER : [choice];
  const notUsed: BackendReport['notUsed'] = [];
  for (const name of candidates) {
    const attempt = await tryBackend(name, threads, choice === 'auto');
    if (attempt.ok) {
      const kernels = registerTrainingKernels(name);
      return { name, device: attempt.device, threads: attempt.threads, notUsed, kernels };
    }
    notUsed.push({ backend: name, reason: attempt.reason });
  }
  const reasons = notUsed.map((n) => `${n.backend}: ${n.reason}`).join('; ');
  throw new TrainError(
    'backend-unavailable',
    `No training backend could start (${reasons}). Choose another backend or use --backend cpu.`,
  );
}

/** The report as sentences for a log, the CLI or the tray. */
export function describeBackend(report: BackendReport): string {
  const lines = [`Training on ${report.device}.`];
  for (const { backend, reason } of report.notUsed) lines.push(`${LABELS[backend]} not used: ${reason}.`);
  return lines.join('\n');
}

const LABELS: Record<BackendName, string> = {
  tensorflow: 'Native TensorFlow (tfjs-node)',
  webgpu: 'WebGPU',
  wasm: 'WebAssembly',
  cpu: 'Plain JavaScript',
};

async function tryBackend(name: BackendName, threads: number, auto: boolean): Promise<Attempt> {
  switch (name) {
    case 'tensorflow':
      return startNativeTensorflow();
    case 'webgpu':
      return startWebgpu(auto);
    case 'wasm':
      return startWasm(threads);
    case 'cpu':
      return startCpu();
  }
}

function cpuName(): string {
  const model = os.cpus()[0]?.model?.replace(/\s+/g, ' ').trim();
  return model ? `CPU (${model})` : 'CPU';
}

async function startNativeTensorflow(): Promise<Attempt> {
  // Optional dependencies: present only where their native library could be installed.
  for (const [pkg, what] of [
    ['@tensorflow/tfjs-node-gpu', 'NVIDIA GPU via native TensorFlow (CUDA)'],
    ['@tensorflow/tfjs-node', `${cpuName()} via native TensorFlow`],
  ] as const) {
    try {
      await import(pkg);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') continue;
      const detail = String((error as Error).message)
        .split('\n')[0]!
        .trim();
      return {
        ok: false,
        reason: `${pkg} is installed but its native TensorFlow library did not load (${detail}); reinstall it where it can download libtensorflow`,
      };
    }
    if (!tf.findBackendFactory('tensorflow')) {
      return { ok: false, reason: `${pkg} loaded a different copy of tfjs-core: align their versions` };
    }
    if (await tf.setBackend('tensorflow')) return { ok: true, device: what };
    return { ok: false, reason: `${pkg} is installed but its backend did not start` };
  }
  return { ok: false, reason: 'tfjs-node is not installed (optional; it needs a native TensorFlow library)' };
}

async function startWebgpu(auto: boolean): Promise<Attempt> {
  const probe = await probeDawn();
  if (!probe.ok) return probe;
  // A software adapter is a GPU emulated on the CPU: our WebAssembly kernels train far faster there.
  // It is used only when asked for by name (the WebGPU kernel specs run on one where CI has no GPU).
  if (probe.software && auto) {
    return {
      ok: false,
      reason: `only a software GPU was found (${probe.device}, which runs on the CPU, slower than WebAssembly)`,
    };
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu').catch(() => false))) {
    return { ok: false, reason: `${probe.device} was found but the WebGPU backend did not start` };
  }
  const software = probe.software ? ', a software GPU on the CPU' : '';
  return { ok: true, device: `${probe.device} via WebGPU (${probe.api}${software})` };
}

async function startWasm(threads: number): Promise<Attempt> {
  // Turns on V8's relaxed-SIMD flag (Node 20) before any of our kernels compile, in this thread and
  // so in the workers it starts: the filter gradient's product then uses fused multiply-adds.
  relaxedSimdAvailable();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  let started: boolean;
  if (tf.findBackend('wasm')) {
    started = await tf.setBackend('wasm');
  } else if (threads > 1 && simd) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    const restore = prepareWasmThreads(threads);
    try {
      started = await tf.setBackend('wasm').catch(() => false);
    } finally {
      restore();
    }
    if (!started) {
      // Threads failed to start here: the single-threaded build still trains.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasm.setThreadsCount(1);
      started = await tf.setBackend('wasm').catch(() => false);
    }
  } else {
    started = await tf.setBackend('wasm').catch(() => false);
  }
  if (!started) return { ok: false, reason: 'the WebAssembly module did not start' };
  const backend = tf.backend() as unknown as { wasm: { PThread?: never } };
  unrefWasmThreads(backend.wasm);
  const actual = Math.max(1, wasm.getThreadsCount());
  const features = [simd ? 'SIMD' : 'no SIMD', actual === 1 ? '1 thread' : `${actual} threads`];
  return { ok: true, device: `${cpuName()} via WebAssembly (${features.join(', ')})`, threads: actual };
}

async function startCpu(): Promise<Attempt> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'the JavaScript backend did not start' };
  return { ok: true, device: `${cpuName()} via plain JavaScript (1 thread, slow)`, threads: 1 };
}
