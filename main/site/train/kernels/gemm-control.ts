// The words two threads share to hand a product's rows from one to the other (threaded-gemm.ts,
// gemm-worker.ts): a job number the worker waits on, the job's kind, the operands, and the number of
// the last job done (or failed). A call job's function and arguments come by a message port instead
// (CallJob), read synchronously when the job number moves.
import type { GemmOperands } from './simd-gemm.ts';

export const Slot = {
  job: 0,
  done: 1,
  failed: 2,
  ready: 3,
  a: 4,
  aRowBytes: 5,
  b: 6,
  c: 7,
  m: 8,
  k: 9,
  n: 10,
  rowTable: 11,
  kind: 12,
} as const;

export const JobKind = { product: 0, call: 1 } as const;

/**
 * Calls one exported function of a WebAssembly module on the shared memory (winograd.ts's blocks of
 * tiles): the compiled module travels once per thread, then only its key.
 */
export interface CallJob {
  key: string;
  module?: object;
  name: string;
  args: number[];
}
export const CONTROL_BYTES = 16 * 4;

// Operands are read and written through a Uint32Array view of the same buffer: byte addresses reach
// past 2 GiB in a 4 GiB memory. The waits use an Int32Array view (Atomics.wait needs one).
export function writeJob(control: Uint32Array, p: GemmOperands): void {
  control[Slot.a] = p.a;
  control[Slot.aRowBytes] = p.aRowBytes;
  control[Slot.b] = p.b;
  control[Slot.c] = p.c;
  control[Slot.m] = p.m;
  control[Slot.k] = p.k;
  control[Slot.n] = p.n;
  control[Slot.rowTable] = p.rowTable ? 1 : 0;
}

export function readJob(control: Uint32Array): GemmOperands {
  return {
    a: control[Slot.a]!,
    aRowBytes: control[Slot.aRowBytes]!,
    b: control[Slot.b]!,
    c: control[Slot.c]!,
    m: control[Slot.m]!,
    k: control[Slot.k]!,
    n: control[Slot.n]!,
    rowTable: control[Slot.rowTable] === 1,
  };
}
