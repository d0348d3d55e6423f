// Loops of the training step in WebAssembly SIMD instead of JavaScript or several tfjs kernels, running
// in the wasm backend's own memory: the 2×2 MaxPoolGrad (four lanes at a time, no branches), the rows of
// the transposed im2col the filter gradient multiplies (bulk memory.copy of each run of an image row)
// and the gradient through a ReLU.
// In JavaScript these two took ~28 ms of a ~84 ms reference-CNN step at S = 64 (docs/benchmarks.md).
// Only 128-bit SIMD is used: relaxed SIMD needs --experimental-wasm-relaxed-simd on Node 20, and these
// loops move data, they do not multiply-add.
import { assembleModule, op, type Code, type WasmFunction } from './wasm-bytecode.ts';

/**
 * maxPoolGrad2x2(dx, x, dy, rowPairs, outWidth, channels, positiveOnly): byte addresses; channels % 4
 * === 0. positiveOnly (1): a window's gradient goes nowhere where its largest input is not above 0, the
 * ReLU before the pool's own gradient folded in (conv-bias-relu.ts skips its pass then).
 */
function maxPoolGrad2x2Function(): WasmFunction {
  const [dx, xs, dy, rows, OW, C, positive] = [0, 1, 2, 3, 4, 5, 6];
  const [row, ox, k, px, pdx, cb, rs, a, d] = [7, 8, 9, 10, 11, 12, 13, 14, 15];
  const [v0, v1, v2, v3, s, f, l, g, gl, gu, m23, m01] = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
  const load = (addr: number, plus?: Code[]): Code[] => [
    op.get(addr),
    ...(plus ?? []),
    ...(plus ? [op.i32Add] : []),
    op.v128Load(),
  ];
  const store = (plus: Code[] | undefined, value: Code[]): Code[] => [
    op.get(d),
    ...(plus ?? []),
    ...(plus ? [op.i32Add] : []),
    ...value,
    op.v128Store(),
  ];
  return {
    name: 'maxPoolGrad2x2',
    params: 7,
    locals: { i32: 9, v128: 12 },
    // prettier-ignore
    body: [
      op.get(C), op.i32(2), op.i32Shl, op.set(cb),
      op.get(OW), op.get(cb), op.i32Mul, op.i32(1), op.i32Shl, op.set(rs),
      op.get(xs), op.set(px), op.get(dx), op.set(pdx),
      op.i32(0), op.set(row),
      op.block, op.loop,
      op.get(row), op.get(rows), op.i32GeU, op.brIf(1),
      op.i32(0), op.set(ox),
      op.block, op.loop,
      op.get(ox), op.get(OW), op.i32GeU, op.brIf(1),
      op.i32(0), op.set(k),
      op.block, op.loop,
      op.get(k), op.get(cb), op.i32GeU, op.brIf(1),
      op.get(px), op.get(k), op.i32Add, op.set(a),
      op.get(pdx), op.get(k), op.i32Add, op.set(d),
      ...load(a), op.set(v0),
      ...load(a, [op.get(cb)]), op.set(v1),
      ...load(a, [op.get(rs)]), op.set(v2),
      ...load(a, [op.get(rs), op.get(cb), op.i32Add]), op.set(v3),
      op.get(dy), op.v128Load(), op.set(g),
      op.get(dy), op.i32(16), op.i32Add, op.set(dy),
      // Ties keep the earlier input, as the CPU backend does: strict comparisons, pairwise.
      op.get(v1), op.get(v0), op.f32x4Gt, op.set(s),
      op.get(v3), op.get(v2), op.f32x4Gt, op.set(f),
      op.get(v3), op.get(v2), op.get(f), op.v128Bitselect, op.set(m23),
      op.get(v1), op.get(v0), op.get(s), op.v128Bitselect, op.set(m01),
      op.get(m23), op.get(m01), op.f32x4Gt, op.set(l),
      op.get(positive),
      op.if,
      op.get(g), op.get(m23), op.get(m01), op.get(l), op.v128Bitselect, op.v128Const0, op.f32x4Gt, op.v128And,
      op.set(g),
      op.end,
      op.get(g), op.get(l), op.v128And, op.set(gl),
      op.get(g), op.get(l), op.v128AndNot, op.set(gu),
      ...store(undefined, [op.get(gu), op.get(s), op.v128AndNot]),
      ...store([op.get(cb)], [op.get(gu), op.get(s), op.v128And]),
      ...store([op.get(rs)], [op.get(gl), op.get(f), op.v128AndNot]),
      ...store([op.get(rs), op.get(cb), op.i32Add], [op.get(gl), op.get(f), op.v128And]),
      op.get(k), op.i32(16), op.i32Add, op.set(k),
      op.br(0), op.end, op.end,
      op.get(px), op.get(cb), op.i32(1), op.i32Shl, op.i32Add, op.set(px),
      op.get(pdx), op.get(cb), op.i32(1), op.i32Shl, op.i32Add, op.set(pdx),
      op.get(ox), op.i32(1), op.i32Add, op.set(ox),
      op.br(0), op.end, op.end,
      // Past one input row; the pair's second row is skipped too.
      op.get(px), op.get(rs), op.i32Add, op.set(px),
      op.get(pdx), op.get(rs), op.i32Add, op.set(pdx),
      op.get(row), op.i32(1), op.i32Add, op.set(row),
      op.br(0), op.end, op.end,
    ],
  };
}

/**
 * im2colRow(out, plane, images, outHeight, outWidth, height, width, firstInputRow, strideHeight,
 * oxStart, oxEnd, firstInputColumn, imageBytes): one row of the transposed im2col for a stride-1
 * width: for each image and output row, zeros left of oxStart, a copy of the input run, zeros from oxEnd.
 * im2colRowStrided takes the stride width after these and copies every stride-th value of the run.
 */
function im2colRowFunction(strided: boolean): WasmFunction {
  const [out, plane, images, OH, OW, H, W, iy0, sh, oxStart, oxEnd, ix0, imageBytes] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const sw = 13; // strided only: input columns between output columns
  const first = strided ? 14 : 13;
  const [n, oy, iy, rowBytes, headBytes, copyBytes, tailStart, tailBytes, o, src, dst] = Array.from(
    { length: 11 },
    (_, i) => first + i,
  ) as [number, number, number, number, number, number, number, number, number, number, number];
  // The run of input values: one bulk copy, or with a stride value by value (ResNet's strided layers).
  // prettier-ignore
  const copyRun: Code[] = strided
    ? [
      op.get(plane), op.get(iy), op.get(W), op.i32Mul, op.i32(2), op.i32Shl, op.i32Add, op.set(src),
      op.get(o), op.get(headBytes), op.i32Add, op.set(dst),
      op.block, op.loop,
      op.get(dst), op.get(o), op.get(tailStart), op.i32Add, op.i32GeU, op.brIf(1),
      op.get(dst), op.get(src), op.f32Load(), op.f32Store(),
      op.get(dst), op.i32(4), op.i32Add, op.set(dst),
      op.get(src), op.get(sw), op.i32(2), op.i32Shl, op.i32Add, op.set(src),
      op.br(0), op.end, op.end,
    ]
    : [
      op.get(o), op.get(headBytes), op.i32Add,
      op.get(plane), op.get(iy), op.get(W), op.i32Mul, op.i32(2), op.i32Shl, op.i32Add,
      op.get(copyBytes), op.memoryCopy,
    ];
  return {
    name: strided ? 'im2colRowStrided' : 'im2colRow',
    params: strided ? 14 : 13,
    locals: { i32: 11 },
    // prettier-ignore
    body: [
      op.get(OW), op.i32(2), op.i32Shl, op.set(rowBytes),
      op.get(oxStart), op.i32(2), op.i32Shl, op.set(headBytes),
      op.get(oxEnd), op.i32(2), op.i32Shl, op.set(tailStart),
      op.get(tailStart), op.get(headBytes), op.i32Sub, op.set(copyBytes),
      op.get(rowBytes), op.get(tailStart), op.i32Sub, op.set(tailBytes),
      op.get(plane), op.get(ix0), op.i32(2), op.i32Shl, op.i32Add, op.set(plane),
      op.get(out), op.set(o),
      op.i32(0), op.set(n),
      op.block, op.loop,
      op.get(n), op.get(images), op.i32GeU, op.brIf(1),
      op.i32(0), op.set(oy),
      op.get(iy0), op.set(iy),
      op.block, op.loop,
      op.get(oy), op.get(OH), op.i32GeU, op.brIf(1),
      // A negative row compares as a large unsigned one: outside the image, like a row past its end.
      op.get(iy), op.get(H), op.i32LtU,
      op.if,
      op.get(o), op.i32(0), op.get(headBytes), op.memoryFill,
      ...copyRun,
      op.get(o), op.get(tailStart), op.i32Add, op.i32(0), op.get(tailBytes), op.memoryFill,
      op.else,
      op.get(o), op.i32(0), op.get(rowBytes), op.memoryFill,
      op.end,
      op.get(o), op.get(rowBytes), op.i32Add, op.set(o),
      op.get(iy), op.get(sh), op.i32Add, op.set(iy),
      op.get(oy), op.i32(1), op.i32Add, op.set(oy),
      op.br(0), op.end, op.end,
      op.get(plane), op.get(imageBytes), op.i32Add, op.set(plane),
      op.get(n), op.i32(1), op.i32Add, op.set(n),
      op.br(0), op.end, op.end,
    ],
  };
}

/**
 * reluGrad(dx, dy, y, bytes): dx = y > 0 ? dy : 0, four lanes at a time over `bytes` (a multiple of
 * 16): the gradient through a ReLU from its output, one pass instead of tfjs's step(y) then a multiply.
 */
function reluGradFunction(): WasmFunction {
  const [dx, dy, y, bytes] = [0, 1, 2, 3];
  const k = 4;
  // prettier-ignore
  return {
    name: 'reluGrad',
    params: 4,
    locals: { i32: 1 },
    body: [
      op.i32(0), op.set(k),
      op.block, op.loop,
      op.get(k), op.get(bytes), op.i32GeU, op.brIf(1),
      op.get(dx), op.get(k), op.i32Add,
      op.get(dy), op.get(k), op.i32Add, op.v128Load(),
      op.get(y), op.get(k), op.i32Add, op.v128Load(), op.v128Const0, op.f32x4Gt,
      op.v128And, op.v128Store(),
      op.get(k), op.i32(16), op.i32Add, op.set(k),
      op.br(0), op.end, op.end,
    ],
  };
}

/**
 * gappedRows(dst, src, groups, rowsPerGroup, rowBytes, dstRowPitch, dstGroupPitch): copies
 * groups·rowsPerGroup contiguous rows of `rowBytes` from src to dst rows `dstRowPitch` apart, each
 * group of rows `dstGroupPitch` after the last, and zeroes every byte between them: dst is written
 * exactly once over groups·dstGroupPitch bytes (the filter gradient's grid, filter-grad-grid.ts).
 */
function gappedRowsFunction(): WasmFunction {
  const [dst, src, groups, rowsPerGroup, rowBytes, rowPitch, groupPitch] = [0, 1, 2, 3, 4, 5, 6];
  const [g, r, d] = [7, 8, 9];
  // prettier-ignore
  return {
    name: 'gappedRows',
    params: 7,
    locals: { i32: 3 },
    body: [
      op.i32(0), op.set(g),
      op.block, op.loop,
      op.get(g), op.get(groups), op.i32GeU, op.brIf(1),
      op.get(dst), op.set(d),
      op.i32(0), op.set(r),
      op.block, op.loop,
      op.get(r), op.get(rowsPerGroup), op.i32GeU, op.brIf(1),
      op.get(d), op.get(src), op.get(rowBytes), op.memoryCopy,
      op.get(d), op.get(rowBytes), op.i32Add, op.i32(0), op.get(rowPitch), op.get(rowBytes), op.i32Sub, op.memoryFill,
      op.get(d), op.get(rowPitch), op.i32Add, op.set(d),
      op.get(src), op.get(rowBytes), op.i32Add, op.set(src),
      op.get(r), op.i32(1), op.i32Add, op.set(r),
      op.br(0), op.end, op.end,
      // The group's rows after its last: zeros up to the next group.
      op.get(d), op.i32(0), op.get(dst), op.get(groupPitch), op.i32Add, op.get(d), op.i32Sub, op.memoryFill,
      op.get(dst), op.get(groupPitch), op.i32Add, op.set(dst),
      op.get(g), op.i32(1), op.i32Add, op.set(g),
      op.br(0), op.end, op.end,
    ],
  };
}

export interface SimdKernels {
  gappedRows(
    dst: number,
    src: number,
    groups: number,
    rowsPerGroup: number,
    rowBytes: number,
    dstRowPitch: number,
    dstGroupPitch: number,
  ): void;
  reluGrad(dx: number, dy: number, y: number, bytes: number): void;
  maxPoolGrad2x2(
    dx: number,
    x: number,
    dy: number,
    rowPairs: number,
    outWidth: number,
    channels: number,
    positiveOnly: number,
  ): void;
  im2colRow(...args: number[]): void;
  /** im2colRow's arguments and the stride width (input columns between output columns). */
  im2colRowStrided(...args: number[]): void;
}

/** The parts of the WebAssembly API used here (the project's TypeScript libraries do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const instances = new WeakMap<WasmMemory, SimdKernels | null>();

/**
 * The memory of a wasm backend, if it has one: the threaded build's Emscripten module keeps it as
 * `wasmMemory`, the single-threaded build (one thread, or threads that failed to start) only as the
 * module's export `asm.memory`.
 */
export function backendMemory(backend: unknown): WasmMemory | undefined {
  const wasm = (backend as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } }).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return memory instanceof wasmApi.Memory ? memory : undefined;
}

/**
 * Our kernels bound to `memory`, or null where they cannot run (no SIMD, or the module did not
 * validate): callers then keep their JavaScript loops. RADFED_WASM_SIMD_KERNELS=0 turns them off.
 */
export function simdKernelsFor(memory: WasmMemory | undefined): SimdKernels | null {
  if (!memory || process.env.RADFED_WASM_SIMD_KERNELS === '0') return null;
  const known = instances.get(memory);
  if (known !== undefined) return known;
  let kernels: SimdKernels | null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const bytes = assembleModule(
      [
        maxPoolGrad2x2Function(),
        im2colRowFunction(false),
        im2colRowFunction(true),
        reluGradFunction(),
        gappedRowsFunction(),
      ],
      shared,
    );
    const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
  } catch {
    kernels = null;
  }
  instances.set(memory, kernels);
  return kernels;
}
