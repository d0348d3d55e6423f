// The SIMD product (simd-gemm.ts) on two threads: the main thread and one worker share the wasm
// backend's memory (a SharedArrayBuffer in its threaded build) and each multiplies half of the rows
// of A into its half of C. Rows, not columns: each thread then reads only its half of A, the large
// operand (the filter gradient's im2col, 145 × 32768 floats at S = 64), and both read the small B.
// Until the worker has started (it loads tsx, ~0.5 s), and if it fails, the main thread does it all.
import { Worker } from 'node:worker_threads';
import { CONTROL_BYTES, Slot, writeJob } from './gemm-control.ts';
import { SimdGemm, defaultTiling, type GemmMemory, type GemmOperands, type GemmTiling } from './simd-gemm.ts';

/** How long the main thread waits for the worker's half before doing it itself. */
const WORKER_WAIT_MS = 30_000;

export class TwoThreadGemm {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  private readonly operands = new Uint32Array(this.control.buffer);
  private readonly products = new Map<number, SimdGemm>();
  private worker: Worker | null;
  private job = 0;

  constructor(
    private readonly memory: GemmMemory,
    readonly tiling: GemmTiling = defaultTiling(),
  ) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    this.worker = shared
      ? new Worker(new URL('./gemm-worker-entry.js', import.meta.url), {
          workerData: { memory, control: this.control.buffer, tiling },
        })
      : null;
    this.worker?.unref();
    this.worker?.on('error', () => this.stopWorker());
  }

  /** Whether the second thread is taking its half (false before it starts, or on a plain memory). */
  get twoThreads(): boolean {
    return this.worker !== null && Atomics.load(this.control, Slot.ready) === 1;
  }

  /** Resolves once the worker is ready (or could not start): for benchmarks and tests. */
  async ready(): Promise<boolean> {
    // Polled with timers: an Atomics.waitAsync alone does not keep Node's event loop alive, and the
    // worker is unref'd.
    for (let waited = 0; this.worker && !this.twoThreads && waited < WORKER_WAIT_MS; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.twoThreads;
  }

  /** C += A·B, rows split between the two threads where the worker is ready. */
  multiplyAdd(p: GemmOperands): void {
    const rows = this.tiling.rows;
    // The main thread's share, whole tiles of rows; the worker takes the rest.
    const own = Math.ceil(p.m / 2 / rows) * rows;
    if (!this.twoThreads || own >= p.m) {
      this.product(p.n).multiplyAdd(p);
      return;
    }
    const theirs: GemmOperands = { ...p, a: p.a + own * p.aRowBytes, c: p.c + own * p.n * 4, m: p.m - own };
    writeJob(this.operands, theirs);
    const job = ++this.job;
    Atomics.store(this.control, Slot.job, job);
    Atomics.notify(this.control, Slot.job);
    this.product(p.n).multiplyAdd({ ...p, m: own });
    let waited = 0;
    while (Atomics.load(this.control, Slot.done) !== job && waited < WORKER_WAIT_MS) {
      const t0 = performance.now();
      Atomics.wait(this.control, Slot.done, job - 1, WORKER_WAIT_MS - waited);
      waited += performance.now() - t0;
    }
    const answered = Atomics.load(this.control, Slot.done) === job;
    if (!answered || Atomics.load(this.control, Slot.failed) === job) {
      // Its rows of C may be partly summed: the product cannot be finished here. Not used again.
      this.stopWorker();
      throw new Error(
        answered
          ? 'The second thread of the matrix product failed; training goes on with one thread for it.'
          : 'The second thread of the matrix product stopped answering; training goes on with one thread for it.',
      );
    }
  }

  /** Ends the worker (tests; the process may also just exit, as it is unref'd). */
  stopWorker(): void {
    if (!this.worker) return;
    Atomics.store(this.control, Slot.job, -1);
    Atomics.notify(this.control, Slot.job);
    this.worker = null;
  }

  private product(n: number): SimdGemm {
    let product = this.products.get(n);
    if (!product) this.products.set(n, (product = new SimdGemm(this.memory, n, this.tiling)));
    return product;
  }
}
