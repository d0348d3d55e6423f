// A thread of the threaded matrix product (threaded-gemm.ts): it waits on a shared control word,
// multiplies its share of the rows in the same WebAssembly memory as the main thread, and says
// it is done. Blocking waits (Atomics.wait) keep the hand-over to microseconds; the kernel that calls
// the product is synchronous, so there is no event loop turn to post a message through.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { SimdGemm, type GemmMemory, type GemmTiling } from './simd-gemm.ts';
import { JobKind, Slot, readJob, type CallJob } from './gemm-control.ts';

const {
  memory,
  control: buffer,
  tiling,
  calls,
} = workerData as {
  memory: GemmMemory;
  control: SharedArrayBuffer;
  tiling: GemmTiling;
  calls: MessagePort;
};
const control = new Int32Array(buffer);
const operands = new Uint32Array(buffer);
const products = new Map<string, SimdGemm>();
type Exports = Record<string, (...args: number[]) => void>;
const instances = new Map<string, Exports>();
interface WasmApi {
  Instance: new (module: object, imports: object) => { exports: Exports };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function call(): void {
  const job = receiveMessageOnPort(calls)?.message as CallJob | undefined;
  if (!job) throw new Error('A call job came without its message.');
  if (job.module) instances.set(job.key, new wasmApi.Instance(job.module, { env: { memory } }).exports);
  const exports = instances.get(job.key);
  if (!exports) throw new Error('A call job named a module this thread was never sent.');
  exports[job.name]!(...job.args);
}

function multiply(): void {
  const job = readJob(operands);
  const key = `${job.n}/${job.rowTable}`;
  let product = products.get(key);
  if (!product) products.set(key, (product = new SimdGemm(memory, job.n, tiling, job.rowTable)));
  product.multiplyAdd(job);
}

Atomics.store(control, Slot.ready, 1);
Atomics.notify(control, Slot.ready);
let seen = 0;
for (;;) {
  Atomics.wait(control, Slot.job, seen);
  seen = Atomics.load(control, Slot.job);
  if (seen < 0) break;
  try {
    if (Atomics.load(control, Slot.kind) === JobKind.call) call();
    else multiply();
  } catch {
    // The main thread refuses the job (these rows of C may be partly summed) and stops using us.
    Atomics.store(control, Slot.failed, seen);
  }
  Atomics.store(control, Slot.done, seen);
  Atomics.notify(control, Slot.done);
}
