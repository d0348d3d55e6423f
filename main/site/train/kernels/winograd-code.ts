// The WebAssembly code of a 3×3, stride-1, 'same' convolution by Winograd's F(2×2, 3×3) (Lavin and
// Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 tile of the output comes
// from a 4×4 patch of the input, V = Bᵀ·d·B, sixteen products M_ξ = V_ξ·U_ξ over the channels (U = G·g·Gᵀ,
// the filter transformed once per call) and Y = Aᵀ·M·A: 16 multiplies a tile where the direct
// convolution makes 36, 2.25× fewer. The transforms are additions only, four channels a vector (the
// tensors are channels-last, so a pixel's channels are contiguous).
// Fused per block of tiles: a block's V and M (16 × tiles × channels) stay in the level-2 cache between
// the input transform, the products (simd-gemm-code.ts's micro-kernel, C overwritten) and the output
// transform; unfused, the transformed tensors (4× the input and the output) went to memory and back and
// cost more than the multiplies saved (docs/benchmarks.md, "The CPU step").
// One module per shape (height, width, channels in and out, block size, bias and ReLU): the strides
// become constants in the instructions' offsets.
import { gemmFunctions, type GemmTiling } from './simd-gemm-code.ts';
import { op, type Code, type WasmFunction } from './wasm-bytecode.ts';
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

export type { WinogradShape } from './winograd-tiles-code.ts';

export const WINOGRAD = 'winograd';
export const WINOGRAD_FILTER = 'winogradFilter';
export const WINOGRAD_FILTER_TURNED = 'winogradFilterTurned';

/**
 * The four outputs of Bᵀ·(d0, d1, d2, d3) (and of the same on rows): d0 − d2, d1 + d2, d2 − d1,
 * d1 − d3, each as code that leaves the vector on the stack.
 */
const inputRows = (d: (j: number) => Code[]): Code[][] => [
  [...d(0), ...d(2), op.f32x4Sub],
  [...d(1), ...d(2), op.f32x4Add],
  [...d(2), ...d(1), op.f32x4Sub],
  [...d(1), ...d(3), op.f32x4Sub],
];

/**
 * inputTransform(xp, v, t0, count): V[ξ][i][c] for tiles t0..t0+count of the padded input xp, into
 * the block's V (16 planes of blockTiles × inChannels).
 */
export function inputTransform(s: WinogradShape): WasmFunction {
  const b = strides(s);
  const [xp, v, t0, count] = [0, 1, 2, 3];
  const [i, tx, ty, at, c, p, q] = [4, 5, 6, 7, 8, 9, 10];
  const d = 11; // 4 row values, then 16 row-transformed values
  const t = (r: number, j: number) => d + 4 + r * 4 + j;
  const load: Code[] = each(4, (r) => [
    ...each(4, (j) => [op.get(p), op.v128Load(r * b.inRow + j * b.inPixel), op.set(d + j)]),
    ...inputRows((j) => [op.get(d + j)]).flatMap((code, j) => [...code, op.set(t(r, j))]),
  ]);
  const store: Code[] = each(4, (j) =>
    inputRows((r) => [op.get(t(r, j))]).flatMap((code, r) => [
      op.get(q),
      ...code,
      op.v128Store((r * 4 + j) * b.vPlane),
    ]),
  );
  // prettier-ignore
  return {
    name: 'inputTransform',
    params: 4,
    locals: { i32: 7, v128: 20 },
    body: [
      ...firstTile(s, { t0, tx, ty, at, base: xp }, { image: b.inImage, row: b.inRow, pixel: b.inPixel }),
      ...overTiles(i, count, [
        ...overChannels(c, b.inPixel, [
          op.get(at), op.get(c), op.i32Add, op.set(p),
          op.get(v), op.get(c), op.i32Add, op.set(q),
          ...load,
          ...store,
        ]),
        op.get(v), op.i32(b.inPixel), op.i32Add, op.set(v),
        ...nextTile(s, { tx, ty, at }, { image: b.inImage, row: b.inRow, pixel: b.inPixel }),
      ]),
    ],
  };
}

/**
 * outputTransform(m, y, bias, t0, count): Y = Aᵀ·M·A (+ bias, ReLU) for tiles t0..t0+count, from the
 * block's M (16 planes of blockTiles × outChannels) into the output y.
 */
function outputTransform(s: WinogradShape): WasmFunction {
  const b = strides(s);
  const [m, y, bias, t0, count] = [0, 1, 2, 3, 4];
  const [i, tx, ty, at, c, p, q] = [5, 6, 7, 8, 9, 10, 11];
  const mv = 12; // 16 values of M, then 8 row sums, then the bias
  const row = (a: number, j: number) => mv + 16 + a * 4 + j;
  const biasV = mv + 24;
  const load: Code[] = each(16, (k) => [op.get(p), op.v128Load(k * b.mPlane), op.set(mv + k)]);
  const m4 = (a: number, j: number): Code[] => [op.get(mv + a * 4 + j)];
  // Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], on M's rows then on the columns of the result.
  const rows: Code[] = each(4, (j) => [
    ...[...m4(0, j), ...m4(1, j), op.f32x4Add, ...m4(2, j), op.f32x4Add, op.set(row(0, j))],
    ...[...m4(1, j), ...m4(2, j), op.f32x4Sub, ...m4(3, j), op.f32x4Sub, op.set(row(1, j))],
  ]);
  const finish: Code[] = [
    ...(s.bias ? [op.get(biasV), op.f32x4Add] : []),
    ...(s.relu ? [op.v128Const0, op.f32x4Max] : []),
  ];
  const r = (a: number, j: number): Code[] => [op.get(row(a, j))];
  const outputs: Code[] = each(2, (a) => [
    ...[op.get(q), ...r(a, 0), ...r(a, 1), op.f32x4Add, ...r(a, 2), op.f32x4Add, ...finish],
    op.v128Store(a * b.outRow),
    ...[op.get(q), ...r(a, 1), ...r(a, 2), op.f32x4Sub, ...r(a, 3), op.f32x4Sub, ...finish],
    op.v128Store(a * b.outRow + b.outPixel),
  ]);
  // prettier-ignore
  return {
    name: 'outputTransform',
    params: 5,
    locals: { i32: 7, v128: 25 },
    body: [
      ...firstTile(s, { t0, tx, ty, at, base: y }, { image: s.height * b.outRow, row: b.outRow, pixel: b.outPixel }),
      ...overTiles(i, count, [
        ...overChannels(c, b.outPixel, [
          op.get(m), op.get(c), op.i32Add, op.set(p),
          op.get(at), op.get(c), op.i32Add, op.set(q),
          ...(s.bias ? [op.get(bias), op.get(c), op.i32Add, op.v128Load(), op.set(biasV)] : []),
          ...load,
          ...rows,
          ...outputs,
        ]),
        op.get(m), op.i32(b.outPixel), op.i32Add, op.set(m),
        ...nextTile(s, { tx, ty, at }, { image: s.height * b.outRow, row: b.outRow, pixel: b.outPixel }),
      ]),
    ],
  };
}

/**
 * winograd(xp, u, bias, y, v, m, from, to): tiles [from, to) of the convolution, block by block, with
 * this thread's scratch v and m; `block` is the index of the product's block function.
 */
function driver(s: WinogradShape, functions: { input: number; output: number; block: number }): WasmFunction {
  const b = strides(s);
  const [xp, u, bias, y, v, m, from, to] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [t0, count] = [8, 9];
  const panels = s.outChannels / 8;
  const products: Code[] = each(16, (xi) => [
    ...[op.get(v), op.i32(xi * b.vPlane), op.i32Add, op.i32(b.inPixel)],
    ...[op.get(u), op.i32(xi * b.uPlane), op.i32Add],
    ...[op.get(m), op.i32(xi * b.mPlane), op.i32Add],
    ...[op.get(count), op.i32(s.inChannels), op.i32(panels), op.call(functions.block)],
  ]);
  return {
    name: WINOGRAD,
    params: 8,
    locals: { i32: 2 },
    body: overBlocks(s, { from, to, t0, count }, [
      ...[op.get(xp), op.get(v), op.get(t0), op.get(count), op.call(functions.input)],
      ...products,
      ...[op.get(m), op.get(y), op.get(bias), op.get(t0), op.get(count), op.call(functions.output)],
    ]),
  };
}

/** (x + y ± z)·½ as code. */
const halfSum = (x: Code[], y: Code[], z: Code[], minus: boolean, half: Code[]): Code[] => [
  ...x,
  ...y,
  minus ? op.f32x4Sub : op.f32x4Add,
  ...z,
  op.f32x4Add,
  ...half,
  op.f32x4Mul,
];

/** G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]: the filter's transform, 3 values to 4. */
const filterRows = (v: (i: number) => Code[], half: Code[]): Code[][] => [
  v(0),
  halfSum(v(0), v(1), v(2), false, half),
  halfSum(v(0), v(1), v(2), true, half),
  v(2),
];

/**
 * winogradFilter(g, u) and winogradFilterTurned(g, u): U_ξ = G·g·Gᵀ for every (input, output) channel
 * pair of the 3×3 filter g ([3, 3, in, out], channels-last as tfjs keeps filters); turned, the filter
 * turned by 180° (tap k read as tap 8 − k: the input gradient's convolution).
 */
function filterTransforms(s: WinogradShape): WasmFunction[] {
  const plane = s.inChannels * s.outChannels * 4;
  const sizes = { in: 3, out: 4 };
  return [
    separableTransform(WINOGRAD_FILTER, plane, sizes, filterRows, (i, j) => i * 3 + j),
    separableTransform(WINOGRAD_FILTER_TURNED, plane, sizes, filterRows, (i, j) => 8 - (i * 3 + j)),
  ];
}

/** The module's functions: the product's (C overwritten), then the transforms, the driver and the filter's. */
export function winogradFunctions(s: WinogradShape, tiling: GemmTiling): WasmFunction[] {
  const gemm = gemmFunctions({ ...tiling, overwrite: true }, s.outChannels * 4);
  const input = gemm.length;
  const functions = [...gemm, inputTransform(s), outputTransform(s)];
  return [
    ...functions,
    driver(s, { input, output: input + 1, block: gemm.length - 1 }),
    ...filterTransforms(s),
  ];
}
