// The WebAssembly code of our matrix product (simd-gemm.ts): BLIS's register-blocked micro-kernel as
// tile functions (a tile of C in v128 locals while k runs), the loops over tiles of rows, and the
// block loop that passes every panel of columns under one tile of rows. A's rows are either strided
// (one address and a row stride) or read from a table of row addresses, which lets a convolution's
// filter gradient multiply the input in place instead of writing im2col (filter-grad-grid.ts).
import { op, type Code, type WasmFunction } from './wasm-bytecode.ts';

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
  /**
   * C = A·B instead of C += A·B: the tiles start from zero and never read C (Winograd's products,
   * winograd-code.ts, whose C is scratch; k is then one block, the caller's).
   */
  overwrite?: boolean;
  /**
   * A stored along k, not along its rows: A(i, p) at a + p·aColumnBytes + 4i, a constant (Winograd's
   * filter gradient, whose A is the transformed input with tiles along k: winograd-filter-grad-code.ts).
   * The `lda` argument is then not read.
   */
  aColumnBytes?: number;
}

const tileName = (rows: number, vectors: number) => `tile${rows}x${vectors}`;
export const rowsName = (vectors: number) => `rows${vectors}`;
export const BLOCK = 'block';

/**
 * tile(a, lda, b, c, kc): C[0..rows, 0..4·vectors] += A[0..rows, 0..kc]·B[0..kc, ..]; byte addresses
 * and A's row stride in bytes; B's and C's row strides are the constant `rowBytes`. With a row
 * table, `a` is the address of the tile's first entry in a table of row addresses and `lda` the
 * bytes to add to each (the block of k under way).
 */
function tileFunction(
  rows: number,
  vectors: number,
  t: GemmTiling,
  rowBytes: number,
  table: boolean,
): WasmFunction {
  const [a, lda, b, c, kc] = [0, 1, 2, 3, 4];
  const columns = t.aColumnBytes;
  const pointers = columns ? 0 : table ? rows : rows - 1;
  // Strided: row 0 is `a` itself, locals 5.. for rows 1..; from a table: locals 5.. for every row.
  const rowPointer = (i: number) => (table ? 5 + i : i === 0 ? a : 4 + i);
  const firstVector = 5 + pointers;
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
        ...(columns
          ? [op.get(a), op.v128Load32Splat(u * columns + 4 * i)]
          : [op.get(rowPointer(i)), op.v128Load32Splat(u * 4)]),
        op.set(s),
        ...each(vectors, (j) => madd(i, j)),
      ]),
    ]),
    ...(columns
      ? [op.get(a), op.i32(columns * unroll), op.i32Add, op.set(a)]
      : each(rows, (i) => [op.get(rowPointer(i)), op.i32(4 * unroll), op.i32Add, op.set(rowPointer(i))])),
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
    locals: { i32: pointers, v128: rows * vectors + vectors + 1 },
    body: [
      ...(columns
        ? []
        : table
          ? each(rows, (r) => [op.get(a), op.i32Load(4 * r), op.get(lda), op.i32Add, op.set(rowPointer(r))])
          : each(rows - 1, (r) => [
              op.get(a),
              op.get(lda),
              op.i32(r + 1),
              op.i32Mul,
              op.i32Add,
              op.set(r + 5),
            ])),
      ...each(rows, (i) =>
        each(vectors, (j) =>
          t.overwrite
            ? [op.v128Const0, op.set(acc(i, j))]
            : [op.get(c), op.v128Load(i * rowBytes + j * 16), op.set(acc(i, j))],
        ),
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
function rowsFunction(
  vectors: number,
  t: GemmTiling,
  rowBytes: number,
  table: boolean,
  index: (r: number) => number,
) {
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
    body: overRowTiles(t, rowBytes, table, { a, lda, c, m }, call),
  } satisfies WasmFunction;
}

/**
 * Runs `work(rows)` for each full tile of t.rows rows, moving a (past the tile's rows, or its entries
 * of the row table) and c down past it and m down by it, then `work(r)` once for the r < t.rows rows
 * left (the last tile, shorter); a, c and m are locals.
 */
function overRowTiles(
  t: GemmTiling,
  rowBytes: number,
  table: boolean,
  { a, lda, c, m }: { a: number; lda: number; c: number; m: number },
  work: (rows: number) => Code[],
): Code[] {
  const remainder: Code[] = [];
  for (let r = 1; r < t.rows; r++) remainder.push(op.get(m), op.i32(r), op.i32Eq, op.if, ...work(r), op.end);
  const nextA = table || t.aColumnBytes ? [op.i32(4 * t.rows)] : [op.get(lda), op.i32(t.rows), op.i32Mul];
  // prettier-ignore
  return [
    op.block, op.loop,
    op.get(m), op.i32(t.rows), op.i32LtS, op.brIf(1),
    ...work(t.rows),
    op.get(a), ...nextA, op.i32Add, op.set(a),
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
function blockFunction(
  t: GemmTiling,
  rowBytes: number,
  table: boolean,
  index: (r: number) => number,
): WasmFunction {
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
    body: overRowTiles(t, rowBytes, table, { a, lda, c, m }, overPanels),
  };
}

/**
 * The module's functions for B and C rows of `rowBytes` bytes, A's rows strided or from a table: every
 * tile shape, then a rows function per width, then the block function.
 */
export function gemmFunctions(t: GemmTiling, rowBytes: number, table = false): WasmFunction[] {
  const tiles: WasmFunction[] = [];
  const index = new Map<string, number>();
  for (let v = 1; v <= t.vectors; v++) {
    for (let r = 1; r <= t.rows; r++) {
      index.set(tileName(r, v), tiles.length);
      tiles.push(tileFunction(r, v, t, rowBytes, table));
    }
  }
  const rows = Array.from({ length: t.vectors }, (_, i) =>
    rowsFunction(i + 1, t, rowBytes, table, (r) => index.get(tileName(r, i + 1))!),
  );
  const block = blockFunction(t, rowBytes, table, (r) => index.get(tileName(r, t.vectors))!);
  return [...tiles, ...rows, block];
}
