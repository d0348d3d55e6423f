// The SIMD product (simd-gemm.ts) on the backend's threads: the main thread and one worker per extra
// thread share the wasm backend's memory (a SharedArrayBuffer in its threaded build), and each
// multiplies a share of the rows of A into the same rows of C. Rows, not columns: each thread then
// reads only its share of A, the large operand (the filter gradient's im2col, 145 × 32768 floats at
// S = 64), and all read the small B. Until a worker has started (it loads tsx, ~0.5 s), and after one
// fails, the threads that are up share the rows (the main thread alone if none).
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { CONTROL_BYTES, JobKind, Slot, writeJob, type CallJob } from './gemm-control.ts';
import { SimdGemm, defaultTiling, type GemmMemory, type GemmOperands, type GemmTiling } from './simd-gemm.ts';

/** How long the main thread waits for a worker's rows before giving up on it. */
const WORKER_WAIT_MS = 30_000;

interface ProductWorker {
  worker: Worker;
  control: Int32Array;
  operands: Uint32Array;
  calls: MessagePort;
  /** The modules this worker has been sent (call jobs), by key. */
  modules: Set<string>;
  job: number;
  stopped: boolean;
}

type Exports = Record<string, (...args: number[]) => void>;
interface WasmInstanceApi {
  Instance: new (module: object, imports: object) => { exports: Exports };
}
const wasmInstanceApi = (globalThis as unknown as { WebAssembly: WasmInstanceApi }).WebAssembly;

export class ThreadedGemm {
  private readonly products = new Map<string, SimdGemm>();
  private readonly workers: ProductWorker[] = [];
  private readonly instances = new Map<string, Exports>();

  /** `threads`: the main thread included; workers only on a shared memory. */
  constructor(
    private readonly memory: GemmMemory,
    threads = 2,
    readonly tiling: GemmTiling = defaultTiling(),
  ) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    for (let i = 1; shared && i < threads; i++) {
      const control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL('./gemm-worker-entry.js', import.meta.url), {
        workerData: { memory, control: control.buffer, tiling, calls: port2 },
        transferList: [port2],
      });
      const entry: ProductWorker = {
        worker,
        control,
        operands: new Uint32Array(control.buffer),
        calls: port1,
        modules: new Set(),
        job: 0,
        stopped: false,
      };
      port1.unref();
      worker.unref();
      worker.on('error', () => this.stop(entry));
      this.workers.push(entry);
    }
  }

  /** The threads taking rows now: the main thread and the workers that are up. */
  get threads(): number {
    return 1 + this.ready_().length;
  }

  /** The threads this product was made for: the main thread and every worker, up or not. */
  get configured(): number {
    return 1 + this.workers.length;
  }

  /** Resolves with the thread count once every worker is up (or could not start): for benchmarks and tests. */
  async ready(): Promise<number> {
    // Polled with timers: an Atomics.waitAsync alone does not keep Node's event loop alive, and the
    // workers are unref'd.
    const waiting = () => this.workers.some((w) => !w.stopped && Atomics.load(w.control, Slot.ready) !== 1);
    for (let waited = 0; waiting() && waited < WORKER_WAIT_MS; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.threads;
  }

  /** C += A·B, the rows shared between the threads that are up. */
  multiplyAdd(p: GemmOperands): void {
    const helpers = this.ready_();
    // Whole tiles of rows per thread; the main thread takes the first share.
    const share = Math.ceil(p.m / (helpers.length + 1) / this.tiling.rows) * this.tiling.rows;
    const posted: ProductWorker[] = [];
    for (const [i, w] of helpers.entries()) {
      const first = (i + 1) * share;
      if (first >= p.m) break;
      const rows = Math.min(share, p.m - first);
      // A's rows from `first` on: further down A, or further down its table of row addresses.
      const a = p.a + first * (p.rowTable ? 4 : p.aRowBytes);
      writeJob(w.operands, { ...p, a, c: p.c + first * p.n * 4, m: rows });
      this.post(w, JobKind.product);
      posted.push(w);
    }
    this.product(p.n, Boolean(p.rowTable)).multiplyAdd({ ...p, m: Math.min(share, p.m) });
    for (const w of posted) this.await(w);
  }

  /**
   * Calls `name` of `module` (compiled against this memory's imports) once per entry of `shares`, which
   * must write disjoint memory: one each on the workers that are up, the rest in turn on this thread.
   * So a caller can cut its work into `configured` shares whatever is up, and get the same result.
   */
  call(module: { key: string; compiled: object }, name: string, shares: number[][]): void {
    const posted = this.ready_().slice(0, Math.max(0, shares.length - 1));
    for (const [i, w] of posted.entries()) {
      const job: CallJob = { key: module.key, name, args: shares[i + 1]! };
      if (!w.modules.has(module.key)) {
        job.module = module.compiled;
        w.modules.add(module.key);
      }
      w.calls.postMessage(job);
      this.post(w, JobKind.call);
    }
    let exports = this.instances.get(module.key);
    if (!exports) {
      exports = new wasmInstanceApi.Instance(module.compiled, { env: { memory: this.memory } }).exports;
      this.instances.set(module.key, exports);
    }
    for (const args of [shares[0], ...shares.slice(posted.length + 1)]) if (args) exports[name]!(...args);
    for (const w of posted) this.await(w);
  }

  /** Ends the workers (tests; the process may also just exit, as they are unref'd). */
  stopWorkers(): void {
    for (const w of this.workers) this.stop(w);
  }

  private post(w: ProductWorker, kind: number): void {
    Atomics.store(w.control, Slot.kind, kind);
    w.job += 1;
    Atomics.store(w.control, Slot.job, w.job);
    Atomics.notify(w.control, Slot.job);
  }

  private await(w: ProductWorker): void {
    let waited = 0;
    while (Atomics.load(w.control, Slot.done) !== w.job && waited < WORKER_WAIT_MS) {
      const t0 = performance.now();
      Atomics.wait(w.control, Slot.done, w.job - 1, WORKER_WAIT_MS - waited);
      waited += performance.now() - t0;
    }
    const answered = Atomics.load(w.control, Slot.done) === w.job;
    if (!answered || Atomics.load(w.control, Slot.failed) === w.job) {
      // Its rows of C may be partly summed: the product cannot be finished here. Not used again.
      this.stop(w);
      throw new Error(
        `A thread of the matrix product ${answered ? 'failed' : 'stopped answering'}; the next products run without it.`,
      );
    }
  }

  private ready_(): ProductWorker[] {
    return this.workers.filter((w) => !w.stopped && Atomics.load(w.control, Slot.ready) === 1);
  }

  private stop(w: ProductWorker): void {
    if (w.stopped) return;
    w.stopped = true;
    Atomics.store(w.control, Slot.job, -1);
    Atomics.notify(w.control, Slot.job);
  }

  private product(n: number, rowTable: boolean): SimdGemm {
    const key = `${n}/${rowTable}`;
    let product = this.products.get(key);
    if (!product) this.products.set(key, (product = new SimdGemm(this.memory, n, this.tiling, rowTable)));
    return product;
  }
}
