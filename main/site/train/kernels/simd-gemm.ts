// A matrix product C += A·B in WebAssembly SIMD, register-blocked: each tile of MR rows × 4·NV columns
// of C stays in v128 locals (registers) while k runs, and each step loads NV vectors of a row of B and
// broadcasts one value of each of the MR rows of A (BLIS's micro-kernel, without packing A: the im2col
// rows the filter gradient multiplies are already contiguous along k). K is cut in blocks of KC so
// that the block of B stays in the level-1 cache while every tile of rows passes over it.
// Multiply-adds are f32x4.relaxed_madd (one fused instruction on x86-64 with FMA, on ARM64) where the
// engine validates relaxed SIMD (wasm-relaxed-simd.ts), f32x4.mul then f32x4.add otherwise.
// x86-64 gives WebAssembly 16 vector registers (V8 keeps one as scratch): MR·NV accumulators + NV
// row vectors + 1 broadcast must stay under 15, so 4×8, 5×8 or 6×8 tiles, not the 6×16 of AVX-512.
import { assembleModule, op, type Code, type WasmFunction } from './wasm-bytecode.ts';
import { relaxedSimdAvailable } from './wasm-relaxed-simd.ts';

export interface GemmTiling {
  /** Rows of C per tile. */
  rows: number;
  /** Vectors of four columns of C per tile. */
  vectors: number;
  /** Steps of k per loop iteration. */
  unroll: number;
  /** Values of k per block. */
  blockK: number;
  /** Fused multiply-add (relaxed SIMD), or a multiply then an add. */
  fused: boolean;
  /**
   * Each tile of rows passes over every panel of columns before the next (the rows of A stay in the
   * level-1 cache), instead of each panel passing down every row (the panel of B stays there).
   * 'auto': where a block of A (m rows × blockK) is larger than the level-2 cache, as in the forward
   * convolutions' products (32768 × 144 at S = 64), which panels outside would read from memory once
   * per panel; the filter gradients' blocks (145–577 rows) fit, and passed panels outside a little
   * faster (docs/benchmarks.md, "Our own GEMM").
   */
  panelsInside: boolean | 'auto';
}

/** The tiling the micro-benchmark chose on an AVX-512 EPYC (docs/benchmarks.md, "Our own GEMM"). */
export const defaultTiling = (): GemmTiling => ({
  rows: 6,
  vectors: 2,
  unroll: 4,
  blockK: 256,
  fused: relaxedSimdAvailable(),
  panelsInside: 'auto',
});

/** A level-2 cache's size on the x86-64 machines this was measured on (1 MiB per core on EPYC). */
const LEVEL2_BYTES = 1 << 20;

const tileName = (rows: number, vectors: number) => `tile${rows}x${vectors}`;
const rowsName = (vectors: number) => `rows${vectors}`;
const BLOCK = 'block';

/**
 * tile(a, lda, b, c, kc): C[0..rows, 0..4·vectors] += A[0..rows, 0..kc]·B[0..kc, ..]; byte addresses
 * and A's row stride in bytes; B's and C's row strides are the constant `rowBytes`.
 */
function tileFunction(rows: number, vectors: number, t: GemmTiling, rowBytes: number): WasmFunction {
  const [a, lda, b, c, kc] = [0, 1, 2, 3, 4];
  const rowPointer = (i: number) => (i === 0 ? a : 4 + i); // locals 5.. for rows 1..
  const firstVector = 5 + (rows - 1);
  const acc = (i: number, j: number) => firstVector + i * vectors + j;
  const bv = (j: number) => firstVector + rows * vectors + j;
  const s = firstVector + rows * vectors + vectors;
  const each = <T>(n: number, f: (i: number) => T[]): T[] => Array.from({ length: n }, (_, i) => f(i)).flat();
  const madd = (i: number, j: number): Code[] =>
    t.fused
      ? [op.get(s), op.get(bv(j)), op.get(acc(i, j)), op.f32x4RelaxedMadd, op.set(acc(i, j))]
      : [op.get(acc(i, j)), op.get(s), op.get(bv(j)), op.f32x4Mul, op.f32x4Add, op.set(acc(i, j))];
  const steps = (unroll: number): Code[] => [
    ...each(unroll, (u) => [
      ...each(vectors, (j) => [op.get(b), op.v128Load(u * rowBytes + j * 16), op.set(bv(j))]),
      ...each(rows, (i) => [
        op.get(rowPointer(i)),
        op.v128Load32Splat(u * 4),
        op.set(s),
        ...each(vectors, (j) => madd(i, j)),
      ]),
    ]),
    ...each(rows, (i) => [op.get(rowPointer(i)), op.i32(4 * unroll), op.i32Add, op.set(rowPointer(i))]),
    op.get(b),
    op.i32(unroll * rowBytes),
    op.i32Add,
    op.set(b),
    op.get(kc),
    op.i32(unroll),
    op.i32Sub,
    op.set(kc),
  ];
  return {
    name: tileName(rows, vectors),
    params: 5,
    locals: { i32: rows - 1, v128: rows * vectors + vectors + 1 },
    body: [
      ...each(rows - 1, (r) => [op.get(a), op.get(lda), op.i32(r + 1), op.i32Mul, op.i32Add, op.set(r + 5)]),
      ...each(rows, (i) =>
        each(vectors, (j) => [op.get(c), op.v128Load(i * rowBytes + j * 16), op.set(acc(i, j))]),
      ),
      // prettier-ignore
      ...[op.block, op.loop, op.get(kc), op.i32(t.unroll), op.i32LtS, op.brIf(1)],
      ...steps(t.unroll),
      ...[op.br(0), op.end, op.end],
      ...[op.block, op.loop, op.get(kc), op.i32Eqz, op.brIf(1)],
      ...steps(1),
      ...[op.br(0), op.end, op.end],
      ...each(rows, (i) =>
        each(vectors, (j) => [op.get(c), op.get(acc(i, j)), op.v128Store(i * rowBytes + j * 16)]),
      ),
    ],
  };
}

/** rows(a, lda, b, c, m, kc): every tile of `vectors` vectors down the m rows, the last one shorter. */
function rowsFunction(vectors: number, t: GemmTiling, rowBytes: number, index: (r: number) => number) {
  const [a, lda, b, c, m, kc] = [0, 1, 2, 3, 4, 5];
  const call = (r: number): Code[] => [
    op.get(a),
    op.get(lda),
    op.get(b),
    op.get(c),
    op.get(kc),
    op.call(index(r)),
  ];
  return {
    name: rowsName(vectors),
    params: 6,
    locals: {},
    body: overRowTiles(t, rowBytes, { a, lda, c, m }, call),
  } satisfies WasmFunction;
}

/**
 * Runs `work(rows)` for each full tile of t.rows rows, moving a and c down past it and m down by it,
 * then `work(r)` once for the r < t.rows rows left (the last tile, shorter); a, c and m are locals.
 */
function overRowTiles(
  t: GemmTiling,
  rowBytes: number,
  { a, lda, c, m }: { a: number; lda: number; c: number; m: number },
  work: (rows: number) => Code[],
): Code[] {
  const remainder: Code[] = [];
  for (let r = 1; r < t.rows; r++) remainder.push(op.get(m), op.i32(r), op.i32Eq, op.if, ...work(r), op.end);
  // prettier-ignore
  return [
    op.block, op.loop,
    op.get(m), op.i32(t.rows), op.i32LtS, op.brIf(1),
    ...work(t.rows),
    op.get(a), op.get(lda), op.i32(t.rows), op.i32Mul, op.i32Add, op.set(a),
    op.get(c), op.i32(t.rows * rowBytes), op.i32Add, op.set(c),
    op.get(m), op.i32(t.rows), op.i32Sub, op.set(m),
    op.br(0), op.end, op.end,
    ...remainder,
  ];
}

/**
 * block(a, lda, b, c, m, kc, panels): for each tile of rows, every one of `panels` panels of full
 * width (4·vectors columns) from b and c on; the last tile of rows shorter.
 */
function blockFunction(t: GemmTiling, rowBytes: number, index: (r: number) => number): WasmFunction {
  const [a, lda, b, c, m, kc, panels] = [0, 1, 2, 3, 4, 5, 6];
  const [p, bb, cc] = [7, 8, 9];
  const panelBytes = 16 * t.vectors;
  const overPanels = (r: number): Code[] => [
    // prettier-ignore
    op.i32(0),
    op.set(p),
    op.get(b),
    op.set(bb),
    op.get(c),
    op.set(cc),
    op.block,
    op.loop,
    ...[op.get(p), op.get(panels), op.i32GeS, op.brIf(1)],
    ...[op.get(a), op.get(lda), op.get(bb), op.get(cc), op.get(kc), op.call(index(r))],
    ...[op.get(bb), op.i32(panelBytes), op.i32Add, op.set(bb)],
    ...[op.get(cc), op.i32(panelBytes), op.i32Add, op.set(cc)],
    ...[op.get(p), op.i32(1), op.i32Add, op.set(p)],
    op.br(0),
    op.end,
    op.end,
  ];
  return {
    name: BLOCK,
    params: 7,
    locals: { i32: 3 },
    body: overRowTiles(t, rowBytes, { a, lda, c, m }, overPanels),
  };
}

/** The module's functions for B and C rows of `rowBytes` bytes: every tile shape, then a rows function per width. */
export function gemmFunctions(t: GemmTiling, rowBytes: number): WasmFunction[] {
  const tiles: WasmFunction[] = [];
  const index = new Map<string, number>();
  for (let v = 1; v <= t.vectors; v++) {
    for (let r = 1; r <= t.rows; r++) {
      index.set(tileName(r, v), tiles.length);
      tiles.push(tileFunction(r, v, t, rowBytes));
    }
  }
  const rows = Array.from({ length: t.vectors }, (_, i) =>
    rowsFunction(i + 1, t, rowBytes, (r) => index.get(tileName(r, i + 1))!),
  );
  const block = blockFunction(t, rowBytes, (r) => index.get(tileName(r, t.vectors))!);
  return [...tiles, ...rows, block];
}

type RowsKernel = (a: number, lda: number, b: number, c: number, m: number, kc: number) => void;
type BlockKernel = (
  ...args: [a: number, lda: number, b: number, c: number, m: number, kc: number, panels: number]
) => void;

/** The parts of the WebAssembly API used here (the project's TypeScript libraries do not declare it). */
export interface GemmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Addresses (bytes) and sizes of one product C[m×n] += A[m×k]·B[k×n] in a WebAssembly memory. */
export interface GemmOperands {
  a: number;
  /** Bytes from one row of A to the next. */
  aRowBytes: number;
  b: number;
  c: number;
  m: number;
  k: number;
  /** Columns of B and C, which are rows of exactly n floats; n must be a multiple of 4. */
  n: number;
}

/** A product on one memory, for B and C rows of one width; compiled once per memory, width and tiling. */
export class SimdGemm {
  private readonly kernels: RowsKernel[];
  private readonly block: BlockKernel;

  constructor(
    memory: GemmMemory,
    readonly columns: number,
    readonly tiling: GemmTiling = defaultTiling(),
  ) {
    if (columns % 4 !== 0) throw new RangeError(`SimdGemm needs a multiple of 4 columns, not ${columns}.`);
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const functions = gemmFunctions(tiling, columns * 4);
    const instance = new wasmApi.Instance(new wasmApi.Module(assembleModule(functions, shared)), {
      env: { memory },
    });
    this.kernels = Array.from(
      { length: tiling.vectors },
      (_, i) => instance.exports[rowsName(i + 1)] as RowsKernel,
    );
    this.block = instance.exports[BLOCK] as BlockKernel;
  }

  /** C += A·B; C's rows [0, m) are read and written, nothing else. */
  multiplyAdd(p: GemmOperands): void {
    if (p.n !== this.columns) throw new RangeError(`This product was built for ${this.columns} columns.`);
    this.multiplyAddColumns(p, 0, p.n);
  }

  /** C[:, from..to) += A·B[:, from..to): a slice of columns, for splitting a product between threads. */
  multiplyAddColumns(p: GemmOperands, from: number, to: number): void {
    const { blockK, vectors } = this.tiling;
    const rowBytes = this.columns * 4;
    const panelColumns = 4 * vectors;
    const { panelsInside } = this.tiling;
    const rowsOuter = panelsInside === 'auto' ? p.m * Math.min(blockK, p.k) * 4 > LEVEL2_BYTES : panelsInside;
    const fullPanels = rowsOuter ? Math.floor((to - from) / panelColumns) : 0;
    for (let k0 = 0; k0 < p.k; k0 += blockK) {
      const kc = Math.min(blockK, p.k - k0);
      if (fullPanels > 0) {
        this.block(
          p.a + k0 * 4,
          p.aRowBytes,
          p.b + k0 * rowBytes + from * 4,
          p.c + from * 4,
          p.m,
          kc,
          fullPanels,
        );
      }
      for (let j0 = from + fullPanels * panelColumns; j0 < to; j0 += panelColumns) {
        const v = Math.min(vectors, (to - j0) >> 2);
        this.kernels[v - 1]!(p.a + k0 * 4, p.aRowBytes, p.b + k0 * rowBytes + j0 * 4, p.c + j0 * 4, p.m, kc);
      }
    }
  }
}
