// The WebAssembly SIMD product (simd-gemm.ts) against a plain float64 product, on random shapes that
// leave partial tiles in every direction (rows not a multiple of the tile's, a last tile of fewer
// vectors, k not a multiple of the unroll or of the block), with and without the fused multiply-add,
// and on a shared memory as the threaded wasm backend has.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../data/index.ts';
import { relativeError } from './reference-convolution.ts';
import { defaultTiling, SimdGemm, type GemmTiling } from './simd-gemm.ts';
import { relaxedSimdAvailable } from './wasm-relaxed-simd.ts';

interface WasmMemoryApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => {
    buffer: ArrayBuffer | SharedArrayBuffer;
  };
}
const { Memory } = (globalThis as unknown as { WebAssembly: WasmMemoryApi }).WebAssembly;

function plainProduct(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += v * b[p * n + j]!;
    }
  return c;
}

/** A·B (+ the C it starts from) through SimdGemm, with A rows `pad` floats longer than k. */
function simdProduct(
  a: Float32Array,
  b: Float32Array,
  c0: Float32Array,
  m: number,
  k: number,
  n: number,
  tiling: GemmTiling,
  shared = false,
  pad = 0,
  split = 0,
): Float32Array {
  const lda = k + pad;
  const floats = m * lda + k * n + m * n + 64;
  const pages = Math.ceil((floats * 4) / 65536) + 1;
  const memory = new Memory(shared ? { initial: pages, maximum: 65536, shared } : { initial: pages });
  const heap = new Float32Array(memory.buffer);
  // Odd float offsets: nothing may rely on 16-byte alignment.
  const [aAt, bAt, cAt] = [1, 2 + m * lda, 3 + m * lda + k * n];
  for (let i = 0; i < m; i++) heap.set(a.subarray(i * k, i * k + k), aAt + i * lda);
  heap.set(b, bAt);
  heap.set(c0, cAt);
  const gemm = new SimdGemm(memory, n, tiling);
  const operands = { a: aAt * 4, aRowBytes: lda * 4, b: bAt * 4, c: cAt * 4, m, k, n };
  if (split === 0) gemm.multiplyAdd(operands);
  else {
    // As two threads would: columns [0, split) then [split, n).
    gemm.multiplyAddColumns(operands, split, n);
    gemm.multiplyAddColumns(operands, 0, split);
  }
  expect(heap[cAt - 1], 'the float before C is untouched').toBe(0);
  expect(heap[cAt + m * n], 'the float after C is untouched').toBe(0);
  return heap.slice(cAt, cAt + m * n);
}

/**
 * A·B through SimdGemm with A's rows from a table: the rows stored in reverse order and overlapping,
 * each one float after the previous (as a filter gradient's taps read one input plane, shifted).
 */
function tableProduct(a: Float32Array, b: Float32Array, m: number, k: number, n: number, tiling: GemmTiling) {
  const memory = new Memory({ initial: Math.ceil(((m * k + k * n + m * n + m + 64) * 4) / 65536) + 1 });
  const heap = new Float32Array(memory.buffer);
  const table = new Uint32Array(memory.buffer);
  // Row i starts at float start + (m - 1 - i): rows overlap in k - 1 floats, so A is a shifted plane.
  const start = 4 + m;
  const plane = new Float32Array(m + k - 1);
  for (let i = 0; i < m; i++) plane.set(a.subarray(i * k, i * k + k), m - 1 - i);
  heap.set(plane, start);
  for (let i = 0; i < m; i++) table[2 + i] = (start + m - 1 - i) * 4;
  const [bAt, cAt] = [start + plane.length + 1, start + plane.length + 2 + k * n];
  heap.set(b, bAt);
  new SimdGemm(memory, n, tiling, true).multiplyAdd({
    a: 2 * 4,
    aRowBytes: 0,
    rowTable: true,
    b: bAt * 4,
    c: cAt * 4,
    m,
    k,
    n,
  });
  expect(heap[cAt + m * n], 'the float after C is untouched').toBe(0);
  return heap.slice(cAt, cAt + m * n);
}

const values = (random: SeededRandom, count: number) =>
  Float32Array.from({ length: count }, () => random.next() * 2 - 1);

describe('WebAssembly SIMD matrix product', () => {
  const tilings: GemmTiling[] = [
    { rows: 6, vectors: 2, unroll: 4, blockK: 256, fused: false, panelsInside: true },
    { rows: 6, vectors: 2, unroll: 4, blockK: 256, fused: false, panelsInside: false },
    { rows: 4, vectors: 2, unroll: 4, blockK: 64, fused: false, panelsInside: true },
    { rows: 3, vectors: 3, unroll: 2, blockK: 100, fused: false, panelsInside: true },
    { rows: 1, vectors: 1, unroll: 1, blockK: 7, fused: false, panelsInside: false },
  ];
  if (relaxedSimdAvailable()) tilings.push({ ...tilings[0]!, fused: true }, { ...tilings[3]!, fused: true });

  it('can use relaxed SIMD (fused multiply-add) in this Node, after turning on its V8 flag', () => {
    // Node 20.20 (V8 11.3) has the feature behind a flag; a Node without it would use plain SIMD.
    expect(relaxedSimdAvailable()).toBe(true);
    expect(defaultTiling().fused).toBe(true);
  });

  it.each(
    tilings.map((t) => [
      `${t.rows}×${4 * t.vectors}${t.fused ? ' fused' : ''}, k blocks of ${t.blockK}${t.panelsInside ? ', panels inside' : ''}`,
      t,
    ]),
  )('equals a plain product to 1e-4 on random shapes with partial tiles (%s)', (_, tiling) => {
    const random = new SeededRandom(21);
    const shapes: [number, number, number][] = [
      [1, 1, 4],
      [7, 5, 12],
      [13, 257, 20],
      [145, 300, 32],
      [25, 33, 4],
    ];
    for (let s = 0; s < 6; s++) {
      shapes.push([
        1 + Math.floor(random.next() * 40),
        1 + Math.floor(random.next() * 600),
        4 * (1 + Math.floor(random.next() * 10)),
      ]);
    }
    for (const [index, [m, k, n]] of shapes.entries()) {
      const a = values(random, m * k);
      const b = values(random, k * n);
      const c0 = values(random, m * n);
      const expected = plainProduct(a, b, m, k, n).map((v, i) => v + c0[i]!);
      const actual = simdProduct(a, b, c0, m, k, n, tiling, false, index % 3);
      expect(relativeError(actual, expected), `${m}×${k} by ${k}×${n}`).toBeLessThan(1e-4);
    }
  });

  it.each(tilings.map((t) => [`${t.rows}×${4 * t.vectors}, k blocks of ${t.blockK}`, t]))(
    'reads A’s rows from a table of addresses, in any order and overlapping (%s)',
    (_, tiling) => {
      const random = new SeededRandom(8);
      for (const [m, k, n] of [
        [1, 3, 4],
        [10, 600, 16],
        [145, 300, 32],
        [17, 29, 12],
      ] as const) {
        // A row i is the plane shifted by m − 1 − i: consecutive rows share all but one value.
        const plane = values(random, m + k - 1);
        const a = new Float32Array(m * k);
        for (let i = 0; i < m; i++) a.set(plane.subarray(m - 1 - i, m - 1 - i + k), i * k);
        const b = values(random, k * n);
        const actual = tableProduct(a, b, m, k, n, tiling);
        expect(relativeError(actual, plainProduct(a, b, m, k, n)), `${m}×${k} by ${k}×${n}`).toBeLessThan(
          1e-4,
        );
      }
    },
  );

  it('runs on a shared memory (the threaded wasm backend’s) and in slices of columns', () => {
    const random = new SeededRandom(5);
    const [m, k, n] = [19, 70, 24];
    const a = values(random, m * k);
    const b = values(random, k * n);
    const expected = plainProduct(a, b, m, k, n);
    const actual = simdProduct(a, b, new Float32Array(m * n), m, k, n, defaultTiling(), true, 0, 8);
    expect(relativeError(actual, expected)).toBeLessThan(1e-4);
  });

  it('refuses rows of B that are not a multiple of four columns, saying so', () => {
    const memory = new Memory({ initial: 1 });
    expect(() => new SimdGemm(memory, 6)).toThrow(/multiple of 4 columns/);
  });
});
