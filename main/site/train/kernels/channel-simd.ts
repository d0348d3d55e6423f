// Per-channel passes over a channels-last tensor in WebAssembly SIMD, four channels a lane-vector, in
// the wasm backend's own memory: what batch normalisation needs (batch-norm-kernels.ts), each in one
// pass where tfjs's composition writes a full-size tensor per step (sub, square, mul, add…).
// Rows are pixels (batch × height × width); every row has C channels, C a multiple of 4; per-channel
// vectors (shifts, scales, sums) are C floats at the addresses given. All addresses in bytes.
import { assembleModule, op, type Code, type WasmFunction } from './wasm-bytecode.ts';
import type { WasmMemory } from './simd-kernels.ts';

/**
 * for each row r < rows, each channel byte k < rowBytes (step 16): `body(k)`, then each pointer in
 * `advance` moves on by rowBytes. Locals r and k given.
 */
function overRows(
  rows: number,
  rowBytes: number,
  r: number,
  k: number,
  advance: number[],
  body: Code[],
): Code[] {
  // prettier-ignore
  return [
    op.i32(0), op.set(r),
    op.block, op.loop,
    op.get(r), op.get(rows), op.i32GeU, op.brIf(1),
    op.i32(0), op.set(k),
    op.block, op.loop,
    op.get(k), op.get(rowBytes), op.i32GeU, op.brIf(1),
    ...body,
    op.get(k), op.i32(16), op.i32Add, op.set(k),
    op.br(0), op.end, op.end,
    ...advance.flatMap((p) => [op.get(p), op.get(rowBytes), op.i32Add, op.set(p)]),
    op.get(r), op.i32(1), op.i32Add, op.set(r),
    op.br(0), op.end, op.end,
  ];
}

/** The vector at `base + k`. */
const at = (base: number, k: number): Code[] => [op.get(base), op.get(k), op.i32Add, op.v128Load()];

/**
 * channelSums(u, v, rows, rowBytes, shiftU, shiftV, sumA, sumB): sumA += Σ_r (u − shiftU) and
 * sumB += Σ_r (u − shiftU)·(v − shiftV), per channel (float32: callers keep blocks of rows short).
 */
function channelSumsFunction(): WasmFunction {
  const [u, v, rows, rowBytes, shiftU, shiftV, sumA, sumB] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, k, du] = [8, 9, 10];
  // prettier-ignore
  const body: Code[] = [
    ...at(u, k), ...at(shiftU, k), op.f32x4Sub, op.set(du),
    op.get(sumA), op.get(k), op.i32Add,
    ...at(sumA, k), op.get(du), op.f32x4Add, op.v128Store(),
    op.get(sumB), op.get(k), op.i32Add,
    ...at(sumB, k), op.get(du), ...at(v, k), ...at(shiftV, k), op.f32x4Sub, op.f32x4Mul, op.f32x4Add,
    op.v128Store(),
  ];
  return {
    name: 'channelSums',
    params: 8,
    locals: { i32: 2, v128: 1 },
    body: overRows(rows, rowBytes, r, k, [u, v], body),
  };
}

/**
 * scaleShift(out, x, rows, rowBytes, centre, scale, shift): out = (x − centre)·scale + shift, per
 * channel (centred first: exact where the mean is far from zero, as x − μ is).
 */
function scaleShiftFunction(): WasmFunction {
  const [out, x, rows, rowBytes, centre, scale, shift] = [0, 1, 2, 3, 4, 5, 6];
  const [r, k] = [7, 8];
  // prettier-ignore
  const body: Code[] = [
    op.get(out), op.get(k), op.i32Add,
    ...at(x, k), ...at(centre, k), op.f32x4Sub, ...at(scale, k), op.f32x4Mul, ...at(shift, k), op.f32x4Add,
    op.v128Store(),
  ];
  return {
    name: 'scaleShift',
    params: 7,
    locals: { i32: 2 },
    body: overRows(rows, rowBytes, r, k, [out, x], body),
  };
}

/** mix(out, u, v, rows, rowBytes, a, b, centre, c): out = u·a + (v − centre)·b + c, per channel. */
function mixFunction(): WasmFunction {
  const [out, u, v, rows, rowBytes, a, b, centre, c] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, k] = [9, 10];
  // prettier-ignore
  const body: Code[] = [
    op.get(out), op.get(k), op.i32Add,
    ...at(u, k), ...at(a, k), op.f32x4Mul,
    ...at(v, k), ...at(centre, k), op.f32x4Sub, ...at(b, k), op.f32x4Mul, op.f32x4Add,
    ...at(c, k), op.f32x4Add,
    op.v128Store(),
  ];
  return {
    name: 'mix',
    params: 9,
    locals: { i32: 2 },
    body: overRows(rows, rowBytes, r, k, [out, u, v], body),
  };
}

export interface ChannelSimd {
  channelSums(...args: [u: number, v: number, rows: number, rowBytes: number, ...vectors: number[]]): void;
  scaleShift(...args: [out: number, x: number, rows: number, rowBytes: number, ...vectors: number[]]): void;
  mix(
    ...args: [out: number, u: number, v: number, rows: number, rowBytes: number, ...vectors: number[]]
  ): void;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const instances = new WeakMap<WasmMemory, ChannelSimd | null>();

/** The passes bound to `memory`, or null where they cannot run (no SIMD, no module). */
export function channelSimdFor(memory: WasmMemory | undefined): ChannelSimd | null {
  if (!memory) return null;
  const known = instances.get(memory);
  if (known !== undefined) return known;
  let passes: ChannelSimd | null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const bytes = assembleModule([channelSumsFunction(), scaleShiftFunction(), mixFunction()], shared);
    passes = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } }).exports as ChannelSimd;
  } catch {
    passes = null;
  }
  instances.set(memory, passes);
  return passes;
}
