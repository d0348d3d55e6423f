// A thread of the threaded matrix product (threaded-gemm.ts): it waits on a shared control word,
// multiplies its share of the rows in the same WebAssembly memory as the main thread, and says
// it is done. Blocking waits (Atomics.wait) keep the hand-over to microseconds; the kernel that calls
// the product is synchronous, so there is no event loop turn to post a message through.
import { workerData } from 'node:worker_threads';
import { SimdGemm, type GemmMemory, type GemmTiling } from './simd-gemm.ts';
import { Slot, readJob } from './gemm-control.ts';

const {
  memory,
  control: buffer,
  tiling,
} = workerData as {
  memory: GemmMemory;
  control: SharedArrayBuffer;
  tiling: GemmTiling;
};
const control = new Int32Array(buffer);
const operands = new Uint32Array(buffer);
const products = new Map<string, SimdGemm>();

Atomics.store(control, Slot.ready, 1);
Atomics.notify(control, Slot.ready);
let seen = 0;
for (;;) {
  Atomics.wait(control, Slot.job, seen);
  seen = Atomics.load(control, Slot.job);
  if (seen < 0) break;
  try {
    const job = readJob(operands);
    const key = `${job.n}/${job.rowTable}`;
    let product = products.get(key);
    if (!product) products.set(key, (product = new SimdGemm(memory, job.n, tiling, job.rowTable)));
    product.multiplyAdd(job);
  } catch {
    // The main thread refuses the product (these rows of C may be partly summed) and stops using us.
    Atomics.store(control, Slot.failed, seen);
  }
  Atomics.store(control, Slot.done, seen);
  Atomics.notify(control, Slot.done);
}
