// The threaded product (the main thread and workers on one shared WebAssembly memory) gives the
// plain product, with rows shared between the threads, partial tiles and idle threads included.
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../data/index.ts';
import { relativeError } from './reference-convolution.ts';
import { ThreadedGemm } from './threaded-gemm.ts';
import { assembleModule, op } from './wasm-bytecode.ts';

interface WasmMemoryApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => {
    buffer: SharedArrayBuffer;
  };
}
const { Memory, Module } = (globalThis as unknown as { WebAssembly: WasmMemoryApi }).WebAssembly;

describe('threaded WebAssembly SIMD matrix product', () => {
  const memory = new Memory({ initial: 64, maximum: 65536, shared: true });
  const gemms = [new ThreadedGemm(memory, 2), new ThreadedGemm(memory, 3)];
  afterAll(() => gemms.forEach((g) => g.stopWorkers()));

  it.each([2, 3])(
    'starts its workers on a shared memory and equals a plain product (%i threads)',
    async (threads) => {
      const gemm = gemms[threads - 2]!;
      expect(await gemm.ready()).toBe(threads);
      const random = new SeededRandom(3);
      const heap = new Float32Array(memory.buffer);
      // 7 rows on 3 threads: shares of 6, 1 and none (tiles are 6 rows).
      for (const [m, k, n] of [
        [145, 700, 32],
        [13, 300, 16],
        [7, 50, 12],
        [1, 9, 4],
      ] as const) {
        const [aAt, bAt, cAt] = [16, 16 + m * k, 16 + m * k + k * n];
        const a = Float32Array.from({ length: m * k }, () => random.next() - 0.5);
        const b = Float32Array.from({ length: k * n }, () => random.next() - 0.5);
        heap.set(a, aAt);
        heap.set(b, bAt);
        heap.fill(0, cAt, cAt + m * n + 1);
        gemm.multiplyAdd({ a: aAt * 4, aRowBytes: k * 4, b: bAt * 4, c: cAt * 4, m, k, n });
        const expected = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let p = 0; p < k; p++)
            for (let j = 0; j < n; j++) expected[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
        const error = relativeError(heap.subarray(cAt, cAt + m * n), expected);
        expect(error, `${m}×${k} by ${k}×${n}`).toBeLessThan(1e-4);
        expect(heap[cAt + m * n], 'nothing written past C').toBe(0);
      }
      expect(gemm.threads).toBe(threads);
    },
  );

  it('shares a table of row addresses between the threads: each takes its rows’ entries', async () => {
    const gemm = gemms[0]!;
    expect(await gemm.ready()).toBe(2);
    const random = new SeededRandom(11);
    const heap = new Float32Array(memory.buffer);
    const table = new Uint32Array(memory.buffer);
    const [m, k, n] = [145, 333, 32];
    // Rows stored in reverse order; the table at float 16 says where each is.
    const [tableAt, aAt] = [16, 16 + m + 4];
    const [bAt, cAt] = [aAt + m * k, aAt + m * k + k * n];
    const a = Float32Array.from({ length: m * k }, () => random.next() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => random.next() - 0.5);
    for (let i = 0; i < m; i++) {
      heap.set(a.subarray(i * k, i * k + k), aAt + (m - 1 - i) * k);
      table[tableAt + i] = (aAt + (m - 1 - i) * k) * 4;
    }
    heap.set(b, bAt);
    heap.fill(0, cAt, cAt + m * n + 1);
    gemm.multiplyAdd({ a: tableAt * 4, aRowBytes: 0, rowTable: true, b: bAt * 4, c: cAt * 4, m, k, n });
    const expected = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let p = 0; p < k; p++)
        for (let j = 0; j < n; j++) expected[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
    expect(relativeError(heap.subarray(cAt, cAt + m * n), expected)).toBeLessThan(1e-4);
    expect(heap[cAt + m * n], 'nothing written past C').toBe(0);
  });

  it('calls a module’s function once per share, each share on its own thread (Winograd’s blocks)', async () => {
    const gemm = gemms[1]!;
    expect(await gemm.ready()).toBe(3);
    // fill(dest, byte, count): memory.fill, in a module compiled once against the shared memory.
    const fill = {
      name: 'fill',
      params: 3,
      locals: {},
      body: [op.get(0), op.get(1), op.get(2), op.memoryFill],
    };
    const module = { key: 'spec/fill', compiled: new Module(assembleModule([fill], true)) };
    const bytes = new Uint8Array(memory.buffer);
    for (const round of [1, 2]) {
      // Twice: the second time the workers have the module and get only its key.
      bytes.fill(0, 4096, 4096 + 3 * 100 + 1);
      gemm.call(module, 'fill', [
        [4096, 10 * round, 100],
        [4196, 11 * round, 100],
        [4296, 12 * round, 100],
      ]);
      expect([
        bytes[4096],
        bytes[4195],
        bytes[4196],
        bytes[4295],
        bytes[4296],
        bytes[4395],
        bytes[4396],
      ]).toEqual([10 * round, 10 * round, 11 * round, 11 * round, 12 * round, 12 * round, 0]);
    }
    // More shares than threads: the rest run in turn on this thread.
    bytes.fill(0, 4096, 4096 + 5 * 10 + 1);
    gemm.call(
      module,
      'fill',
      Array.from({ length: 5 }, (_, i) => [4096 + 10 * i, i + 1, 10]),
    );
    expect(Array.from({ length: 6 }, (_, i) => bytes[4096 + 10 * i])).toEqual([1, 2, 3, 4, 5, 0]);
  });
});
