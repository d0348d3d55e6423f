// The parts of the WebAssembly code that Winograd's F(2×2, 3×3) kernels share (winograd-code.ts, the
// forward pass; winograd-filter-grad-code.ts, the filter gradient): the shape, the byte strides, the walk
// over tiles (image by image, row by row) and the loops over channels, tiles and blocks, and the
// separable 2-D transforms of the filter and of its gradient.
import { op, type Code, type WasmFunction } from './wasm-bytecode.ts';

export interface WinogradShape {
  /** The output's (and the input's) height and width, both even. */
  height: number;
  width: number;
  /** Input channels, a multiple of 4. */
  inChannels: number;
  /** Output channels, a multiple of 8 (the product's panels). */
  outChannels: number;
  /** Tiles per block (a multiple of the product's 6 rows). */
  blockTiles: number;
  bias: boolean;
  relu: boolean;
}

export const each = <T>(n: number, f: (i: number) => T[]): T[] =>
  Array.from({ length: n }, (_, i) => f(i)).flat();

/** Byte strides of a shape: the input is padded by one pixel on every side (winograd.ts copies it so). */
export function strides(s: WinogradShape) {
  const inPixel = s.inChannels * 4;
  const inRow = (s.width + 2) * inPixel;
  const outPixel = s.outChannels * 4;
  const outRow = s.width * outPixel;
  return {
    inPixel,
    inRow,
    inImage: (s.height + 2) * inRow,
    outPixel,
    outRow,
    vPlane: s.blockTiles * inPixel,
    mPlane: s.blockTiles * outPixel,
    uPlane: s.inChannels * outPixel,
  };
}

/**
 * Sets the locals tx, ty and `at` for tile t0 (tiles numbered image by image, row by row):
 * at = base + image·imageBytes + 2·ty·rowBytes + 2·tx·pixelBytes.
 */
export function firstTile(
  s: WinogradShape,
  l: { t0: number; tx: number; ty: number; at: number; base: number },
  bytes: { image: number; row: number; pixel: number },
): Code[] {
  const [tilesWide, tilesHigh] = [s.width / 2, s.height / 2];
  // prettier-ignore
  return [
    op.get(l.t0), op.i32(tilesWide), op.i32RemU, op.set(l.tx),
    op.get(l.t0), op.i32(tilesWide), op.i32DivU, op.i32(tilesHigh), op.i32RemU, op.set(l.ty),
    op.get(l.base),
    op.get(l.t0), op.i32(tilesWide * tilesHigh), op.i32DivU, op.i32(bytes.image), op.i32Mul, op.i32Add,
    op.get(l.ty), op.i32(2 * bytes.row), op.i32Mul, op.i32Add,
    op.get(l.tx), op.i32(2 * bytes.pixel), op.i32Mul, op.i32Add,
    op.set(l.at),
  ];
}

/** Moves `at` and tx, ty on to the next tile: right, then down a row of tiles, then to the next image. */
export function nextTile(
  s: WinogradShape,
  l: { tx: number; ty: number; at: number },
  bytes: { image: number; row: number; pixel: number },
): Code[] {
  const [tilesWide, tilesHigh] = [s.width / 2, s.height / 2];
  const endOfRow = 2 * bytes.row - s.width * bytes.pixel;
  const endOfImage = bytes.image - s.height * bytes.row;
  // prettier-ignore
  return [
    op.get(l.at), op.i32(2 * bytes.pixel), op.i32Add, op.set(l.at),
    op.get(l.tx), op.i32(1), op.i32Add, op.set(l.tx),
    op.get(l.tx), op.i32(tilesWide), op.i32Eq,
    op.if,
    op.i32(0), op.set(l.tx),
    op.get(l.at), op.i32(endOfRow), op.i32Add, op.set(l.at),
    op.get(l.ty), op.i32(1), op.i32Add, op.set(l.ty),
    op.get(l.ty), op.i32(tilesHigh), op.i32Eq,
    op.if,
    op.i32(0), op.set(l.ty),
    op.get(l.at), op.i32(endOfImage), op.i32Add, op.set(l.at),
    op.end,
    op.end,
  ];
}

/** for c = 0; c < bytes; c += 16: body (a local c). */
export const overChannels = (c: number, bytes: number, body: Code[]): Code[] => [
  // prettier-ignore
  op.i32(0),
  op.set(c),
  op.block,
  op.loop,
  op.get(c),
  op.i32(bytes),
  op.i32GeU,
  op.brIf(1),
  ...body,
  op.get(c),
  op.i32(16),
  op.i32Add,
  op.set(c),
  op.br(0),
  op.end,
  op.end,
];

/** for i = 0; i < count; i++: body (locals i and count). */
export const overTiles = (i: number, count: number, body: Code[]): Code[] => [
  // prettier-ignore
  op.i32(0),
  op.set(i),
  op.block,
  op.loop,
  op.get(i),
  op.get(count),
  op.i32GeU,
  op.brIf(1),
  ...body,
  op.get(i),
  op.i32(1),
  op.i32Add,
  op.set(i),
  op.br(0),
  op.end,
  op.end,
];

/**
 * For t0 = from; t0 < to; t0 += count: body, with count = min(blockTiles, to − t0): a driver's loop
 * over its blocks of tiles (locals from, to, t0, count).
 */
export function overBlocks(
  s: WinogradShape,
  l: { from: number; to: number; t0: number; count: number },
  body: Code[],
): Code[] {
  // prettier-ignore
  return [
    op.get(l.from), op.set(l.t0),
    op.block, op.loop,
    op.get(l.t0), op.get(l.to), op.i32GeU, op.brIf(1),
    op.get(l.to), op.get(l.t0), op.i32Sub, op.set(l.count),
    op.get(l.count), op.i32(s.blockTiles), op.i32GeU,
    op.if, op.i32(s.blockTiles), op.set(l.count), op.end,
    ...body,
    op.get(l.t0), op.get(l.count), op.i32Add, op.set(l.t0),
    op.br(0), op.end, op.end,
  ];
}

/**
 * name(src, dst): out[a][b] = Σ_ij M[a][i]·M[b][j]·in[i][j] for every channel pair (`plane` bytes of
 * them), four pairs a vector: in[i][j] at src + inPlane(i, j)·plane, out[a][b] at dst + (a·outSize +
 * b)·plane. `map` gives M's rows as code from code for in's values (and ½ in a local).
 */
export function separableTransform(
  name: string,
  plane: number,
  sizes: { in: number; out: number },
  map: (value: (i: number) => Code[], half: Code[]) => Code[][],
  inPlane: (i: number, j: number) => number,
): WasmFunction {
  const [src, dst, k] = [0, 1, 2];
  const input = (i: number, j: number) => 3 + i * sizes.in + j;
  const middle = (a: number, j: number) => 3 + sizes.in * sizes.in + a * sizes.in + j;
  const half = 3 + sizes.in * sizes.in + sizes.out * sizes.in;
  const loads: Code[] = each(sizes.in * sizes.in, (n) => {
    const [i, j] = [Math.floor(n / sizes.in), n % sizes.in];
    return [op.get(src), op.get(k), op.i32Add, op.v128Load(inPlane(i, j) * plane), op.set(input(i, j))];
  });
  const firstAxis: Code[] = each(sizes.in, (j) =>
    map((i) => [op.get(input(i, j))], [op.get(half)]).flatMap((code, a) => [...code, op.set(middle(a, j))]),
  );
  const secondAxis: Code[] = each(sizes.out, (a) =>
    map((j) => [op.get(middle(a, j))], [op.get(half)]).flatMap((code, b) => [
      ...[op.get(dst), op.get(k), op.i32Add, ...code],
      op.v128Store((a * sizes.out + b) * plane),
    ]),
  );
  return {
    name,
    params: 2,
    locals: { i32: 1, v128: sizes.in * sizes.in + sizes.out * sizes.in + 1 },
    body: [
      op.f32x4Const(0.5),
      op.set(half),
      ...overChannels(k, plane, [...loads, ...firstAxis, ...secondAxis]),
    ],
  };
}
