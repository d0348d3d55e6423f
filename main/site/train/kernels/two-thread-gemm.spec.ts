// The two-thread product (the main thread and a worker on one shared WebAssembly memory) gives the
// plain product, with rows split between the threads, tiles left over on either side.
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../data/index.ts';
import { relativeError } from './reference-convolution.ts';
import { TwoThreadGemm } from './two-thread-gemm.ts';

interface WasmMemoryApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => {
    buffer: SharedArrayBuffer;
  };
}
const { Memory } = (globalThis as unknown as { WebAssembly: WasmMemoryApi }).WebAssembly;

describe('two-thread WebAssembly SIMD matrix product', () => {
  const memory = new Memory({ initial: 64, maximum: 65536, shared: true });
  const gemm = new TwoThreadGemm(memory);
  afterAll(() => gemm.stopWorker());

  it('starts its worker on a shared memory and equals a plain product', async () => {
    expect(await gemm.ready()).toBe(true);
    const random = new SeededRandom(3);
    const heap = new Float32Array(memory.buffer);
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
      expect(relativeError(heap.subarray(cAt, cAt + m * n), expected), `${m}×${k} by ${k}×${n}`).toBeLessThan(
        1e-4,
      );
      expect(heap[cAt + m * n], 'nothing written past C').toBe(0);
    }
    expect(gemm.twoThreads).toBe(true);
  });
});
