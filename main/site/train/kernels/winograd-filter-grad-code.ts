// The WebAssembly code of a 3×3, stride-1, 'same' convolution's filter (and bias) gradient by
// Winograd's F(2×2, 3×3), the adjoint of the forward pass (winograd-code.ts): the forward is
// Y = Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A per tile, so dL/dg = Gᵀ·[Σ_tiles (Bᵀ·d·B) ⊙ (A·dY·Aᵀ)]·G. Per block of
// tiles: the input's patches transformed (V, as the forward does), the output gradient's 2×2 tiles
// transformed (W = A·dY·Aᵀ, additions only), and sixteen products dU_ξ += V_ξᵀ·W_ξ over the block's
// tiles (simd-gemm-code.ts's micro-kernel reading V along its columns); once at the end,
// dW = Gᵀ·dU·G. 16 multiplies a tile and channel pair where the direct gradient makes 36.
// The bias gradient, Σ dy, is W's centre value (ξ = 5, the sum of the tile's four values), summed on
// the way.
import { gemmFunctions, type GemmTiling } from './simd-gemm-code.ts';
import { op, type Code, type WasmFunction } from './wasm-bytecode.ts';
import { inputTransform } from './winograd-code.ts';
import {
  each,
  firstTile,
  nextTile,
  overBlocks,
  overChannels,
  overTiles,
  separableTransform,
  strides,
  type WinogradShape,
} from './winograd-tiles-code.ts';

export const WINOGRAD_FILTER_GRAD = 'winogradFilterGrad';
export const WINOGRAD_FILTER_FINISH = 'winogradFilterFinish';
export const ADD_VECTORS = 'addVectors';

/**
 * Two values (y0, y1) turned into four by A = [[1, 0], [1, 1], [1, −1], [0, −1]]: y0, y0 + y1, y0 − y1, −y1, each as code
 * that leaves the vector on the stack.
 */
const gradientRows = (y: (j: number) => Code[]): Code[][] => [
  y(0),
  [...y(0), ...y(1), op.f32x4Add],
  [...y(0), ...y(1), op.f32x4Sub],
  [...y(1), op.f32x4Neg],
];

/**
 * gradientTransform(dy, w, biasSum, t0, count): W[ξ][i][c] = (A·dY·Aᵀ) for tiles t0..t0+count of dy,
 * into the block's W (16 planes of blockTiles × outChannels); biasSum[c] += Σ of the tiles' dy.
 */
function gradientTransform(s: WinogradShape): WasmFunction {
  const b = strides(s);
  const bytes = { image: s.height * b.outRow, row: b.outRow, pixel: b.outPixel };
  const [dy, w, biasSum, t0, count] = [0, 1, 2, 3, 4];
  const [i, tx, ty, at, c, p, q] = [5, 6, 7, 8, 9, 10, 11];
  const yv = 12; // 4 values of dy, then 8 row-transformed values
  const row = (a: number, j: number) => yv + 4 + a * 2 + j;
  const load: Code[] = each(4, (k) => [
    op.get(p),
    op.v128Load((k >> 1) * b.outRow + (k & 1) * b.outPixel),
    op.set(yv + k),
  ]);
  // A·dY: four rows of two columns.
  const rows: Code[] = each(2, (j) =>
    gradientRows((r) => [op.get(yv + r * 2 + j)]).flatMap((code, a) => [...code, op.set(row(a, j))]),
  );
  const stores: Code[] = each(4, (a) =>
    gradientRows((j) => [op.get(row(a, j))]).flatMap((code, bIndex) => [
      op.get(q),
      ...code,
      op.v128Store((a * 4 + bIndex) * b.mPlane),
    ]),
  );
  // prettier-ignore
  const bias: Code[] = [
    op.get(biasSum), op.get(c), op.i32Add,
    op.get(biasSum), op.get(c), op.i32Add, op.v128Load(),
    op.get(row(1, 0)), op.get(row(1, 1)), op.f32x4Add, op.f32x4Add,
    op.v128Store(),
  ];
  // prettier-ignore
  return {
    name: 'gradientTransform',
    params: 5,
    locals: { i32: 7, v128: 12 },
    body: [
      ...firstTile(s, { t0, tx, ty, at, base: dy }, bytes),
      ...overTiles(i, count, [
        ...overChannels(c, b.outPixel, [
          op.get(at), op.get(c), op.i32Add, op.set(p),
          op.get(w), op.get(c), op.i32Add, op.set(q),
          ...load,
          ...rows,
          ...stores,
          ...bias,
        ]),
        op.get(w), op.i32(b.outPixel), op.i32Add, op.set(w),
        ...nextTile(s, { tx, ty, at }, bytes),
      ]),
    ],
  };
}

/**
 * winogradFilterGrad(xp, dy, du, v, w, from, to): dU (16 planes of inChannels × outChannels, then the
 * bias sum) += tiles [from, to) of the gradient, block by block, with this thread's scratch v and w.
 */
function driver(
  s: WinogradShape,
  functions: { input: number; gradient: number; block: number },
): WasmFunction {
  const b = strides(s);
  const [xp, dy, du, v, w, from, to] = [0, 1, 2, 3, 4, 5, 6];
  const [t0, count] = [7, 8];
  const panels = s.outChannels / 8;
  const products: Code[] = each(16, (xi) => [
    ...[op.get(v), op.i32(xi * b.vPlane), op.i32Add, op.i32(0)],
    ...[op.get(w), op.i32(xi * b.mPlane), op.i32Add],
    ...[op.get(du), op.i32(xi * b.uPlane), op.i32Add],
    ...[op.i32(s.inChannels), op.get(count), op.i32(panels), op.call(functions.block)],
  ]);
  return {
    name: WINOGRAD_FILTER_GRAD,
    params: 7,
    locals: { i32: 2 },
    body: overBlocks(s, { from, to, t0, count }, [
      ...[op.get(xp), op.get(v), op.get(t0), op.get(count), op.call(functions.input)],
      ...[op.get(dy), op.get(w), op.get(du), op.i32(16 * b.uPlane), op.i32Add],
      ...[op.get(t0), op.get(count), op.call(functions.gradient)],
      ...products,
    ]),
  };
}

/** Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]]: the filter gradient's transform back, 4 values to 3. */
const filterGradientRows = (u: (i: number) => Code[], half: Code[]): Code[][] => {
  const halfOf = (minus: boolean): Code[] => [
    ...u(1),
    ...u(2),
    minus ? op.f32x4Sub : op.f32x4Add,
    ...half,
    op.f32x4Mul,
  ];
  return [[...u(0), ...halfOf(false), op.f32x4Add], halfOf(true), [...halfOf(false), ...u(3), op.f32x4Add]];
};

/** winogradFilterFinish(du, dw): dW = Gᵀ·dU·G for every channel pair, into dw ([3, 3, in, out]). */
const finish = (s: WinogradShape): WasmFunction =>
  separableTransform(
    WINOGRAD_FILTER_FINISH,
    s.inChannels * s.outChannels * 4,
    { in: 4, out: 3 },
    filterGradientRows,
    (i, j) => i * 4 + j,
  );

/** addVectors(dst, src, bytes): dst += src, four floats at a time (the threads' sums into one). */
function addVectors(): WasmFunction {
  const [dst, src, bytes, k] = [0, 1, 2, 3];
  const at = (base: number): Code[] => [op.get(base), op.get(k), op.i32Add];
  return {
    name: ADD_VECTORS,
    params: 3,
    locals: { i32: 1 },
    body: [
      op.i32(0),
      op.set(k),
      op.block,
      op.loop,
      ...[op.get(k), op.get(bytes), op.i32GeU, op.brIf(1)],
      ...at(dst),
      ...[...at(dst), op.v128Load(), ...at(src), op.v128Load(), op.f32x4Add, op.v128Store()],
      ...[op.get(k), op.i32(16), op.i32Add, op.set(k)],
      op.br(0),
      op.end,
      op.end,
    ],
  };
}

/** The module's functions: the product's (A along k, C accumulated), the transforms, the driver, the rest. */
export function winogradFilterGradFunctions(s: WinogradShape, tiling: GemmTiling): WasmFunction[] {
  const gemm = gemmFunctions({ ...tiling, aColumnBytes: s.inChannels * 4 }, s.outChannels * 4);
  const input = gemm.length;
  return [
    ...gemm,
    inputTransform(s),
    gradientTransform(s),
    driver(s, { input, gradient: input + 1, block: gemm.length - 1 }),
    finish(s),
    addVectors(),
  ];
}
