// A matrix product C += A·B in WebAssembly SIMD, register-blocked: each tile of MR rows × 4·NV columns
// of C stays in v128 locals (registers) while k runs, and each step loads NV vectors of a row of B and
// broadcasts one value of each of the MR rows of A (BLIS's micro-kernel, without packing A: the rows
// the filter gradient multiplies are already contiguous along k). K is cut in blocks of KC so that the
// block of B stays in the level-1 cache while every tile of rows passes over it. A's rows may lie
// anywhere, listed in a table of addresses (`rowTable`): the filter gradient then reads the input's
// channel planes in place, shifted per filter tap, instead of an im2col copy (filter-grad-grid.ts).
// The code itself is built in simd-gemm-code.ts.
// Multiply-adds are f32x4.relaxed_madd (one fused instruction on x86-64 with FMA, on ARM64) where the
// engine validates relaxed SIMD (wasm-relaxed-simd.ts), f32x4.mul then f32x4.add otherwise.
// x86-64 gives WebAssembly 16 vector registers (V8 keeps one as scratch): MR·NV accumulators + NV
// row vectors + 1 broadcast must stay under 15, so 4×8, 5×8 or 6×8 tiles, not the 6×16 of AVX-512.
import { BLOCK, gemmFunctions, rowsName, type GemmTiling } from './simd-gemm-code.ts';
import { assembleModule } from './wasm-bytecode.ts';
import { relaxedSimdAvailable } from './wasm-relaxed-simd.ts';

export type { GemmTiling } from './simd-gemm-code.ts';

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
  /** A's first row, or with `rowTable` the table of A's m row addresses (one u32 each). */
  a: number;
  /** Bytes from one row of A to the next (not read with `rowTable`). */
  aRowBytes: number;
  /** A's rows are where the table at `a` says: row i at the i-th u32 there, each contiguous along k. */
  rowTable?: boolean;
  b: number;
  c: number;
  m: number;
  k: number;
  /** Columns of B and C, which are rows of exactly n floats; n must be a multiple of 4. */
  n: number;
}

/**
 * A product on one memory, for B and C rows of one width and A's rows strided or from a table; compiled
 * once per memory, width, kind of rows and tiling.
 */
export class SimdGemm {
  private readonly kernels: RowsKernel[];
  private readonly block: BlockKernel;

  constructor(
    memory: GemmMemory,
    readonly columns: number,
    readonly tiling: GemmTiling = defaultTiling(),
    readonly rowTable = false,
  ) {
    if (columns % 4 !== 0) throw new RangeError(`SimdGemm needs a multiple of 4 columns, not ${columns}.`);
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const functions = gemmFunctions(tiling, columns * 4, rowTable);
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
    if (Boolean(p.rowTable) !== this.rowTable) {
      throw new RangeError(
        `This product was built for A's rows ${this.rowTable ? 'from a table' : 'strided'}.`,
      );
    }
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
      // From a table, the block's offset is added to every row's address; strided, to the first row's.
      const [a, lda] = this.rowTable ? [p.a, k0 * 4] : [p.a + k0 * 4, p.aRowBytes];
      if (fullPanels > 0) {
        this.block(a, lda, p.b + k0 * rowBytes + from * 4, p.c + from * 4, p.m, kc, fullPanels);
      }
      for (let j0 = from + fullPanels * panelColumns; j0 < to; j0 += panelColumns) {
        const v = Math.min(vectors, (to - j0) >> 2);
        this.kernels[v - 1]!(a, lda, p.b + k0 * rowBytes + j0 * 4, p.c + j0 * 4, p.m, kc);
      }
    }
  }
}
