// MaxPoolGrad for any window, stride and padding in WebAssembly SIMD (ResNet's and DenseNet's 3×3,
// stride-2 pool after the stem; the 2×2 pool has its own kernel in simd-kernels.ts): per output pixel,
// four channels a vector, the first largest input of the window (the CPU backend's rule: later inputs
// win only when strictly larger) and its gradient added there, windows overlapping. The JavaScript loop
// it replaces took ~3.6% of a ResNet-18 step at 224 px (docs/benchmarks.md).
import { assembleModule, op, type Code, type WasmFunction } from './wasm-bytecode.ts';
import type { WasmMemory } from './simd-kernels.ts';

/**
 * window(dx, x, dy, channelBytes, rowBytes, rows, cols): the window's first pixel in x and dx (channel
 * 0), its rows × cols pixels inside the input, rowBytes between input rows; dy: this output's gradient.
 */
function windowFunction(): WasmFunction {
  const [dx, x, dy, cBytes, rowBytes, rows, cols] = [0, 1, 2, 3, 4, 5, 6];
  const [k, r, c, j, p, q] = [7, 8, 9, 10, 11, 12];
  const [best, idx, v, gt, g] = [13, 14, 15, 16, 17];
  /** for each window pixel (q its address from `from` + k, j its number): body. */
  const overWindow = (from: number, body: Code[]): Code[] => [
    // prettier-ignore
    op.i32(0),
    op.set(j),
    op.i32(0),
    op.set(r),
    op.get(from),
    op.get(k),
    op.i32Add,
    op.set(p),
    op.block,
    op.loop,
    ...[op.get(r), op.get(rows), op.i32GeU, op.brIf(1)],
    ...[op.i32(0), op.set(c), op.get(p), op.set(q)],
    op.block,
    op.loop,
    ...[op.get(c), op.get(cols), op.i32GeU, op.brIf(1)],
    ...body,
    ...[op.get(j), op.i32(1), op.i32Add, op.set(j)],
    ...[op.get(q), op.get(cBytes), op.i32Add, op.set(q)],
    ...[op.get(c), op.i32(1), op.i32Add, op.set(c)],
    op.br(0),
    op.end,
    op.end,
    ...[op.get(p), op.get(rowBytes), op.i32Add, op.set(p)],
    ...[op.get(r), op.i32(1), op.i32Add, op.set(r)],
    op.br(0),
    op.end,
    op.end,
  ];
  // prettier-ignore
  const body: Code[] = [
    op.i32(0), op.set(k),
    op.block, op.loop,
    op.get(k), op.get(cBytes), op.i32GeU, op.brIf(1),
    op.get(x), op.get(k), op.i32Add, op.v128Load(), op.set(best),
    op.i32(0), op.i32x4Splat, op.set(idx),
    // Strictly larger wins, so the first pixel (compared with itself) keeps number 0.
    ...overWindow(x, [
      op.get(q), op.v128Load(), op.set(v),
      op.get(v), op.get(best), op.f32x4Gt, op.set(gt),
      op.get(v), op.get(best), op.get(gt), op.v128Bitselect, op.set(best),
      op.get(j), op.i32x4Splat, op.get(idx), op.get(gt), op.v128Bitselect, op.set(idx),
    ]),
    op.get(dy), op.get(k), op.i32Add, op.v128Load(), op.set(g),
    ...overWindow(dx, [
      op.get(q),
      op.get(q), op.v128Load(),
      op.get(g), op.get(idx), op.get(j), op.i32x4Splat, op.i32x4Eq, op.v128And,
      op.f32x4Add, op.v128Store(),
    ]),
    op.get(k), op.i32(16), op.i32Add, op.set(k),
    op.br(0), op.end, op.end,
  ];
  return { name: 'window', params: 7, locals: { i32: 6, v128: 5 }, body };
}

export interface MaxPoolGradSimd {
  window(
    ...args: [
      dx: number,
      x: number,
      dy: number,
      channelBytes: number,
      rowBytes: number,
      rows: number,
      cols: number,
    ]
  ): void;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const instances = new WeakMap<WasmMemory, MaxPoolGradSimd | null>();

/** The kernel bound to `memory`, or null where it cannot run; RADFED_WASM_SIMD_KERNELS=0 turns it off. */
export function maxPoolGradSimdFor(memory: WasmMemory | undefined): MaxPoolGradSimd | null {
  if (!memory || process.env.RADFED_WASM_SIMD_KERNELS === '0') return null;
  const known = instances.get(memory);
  if (known !== undefined) return known;
  let kernel: MaxPoolGradSimd | null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new wasmApi.Module(assembleModule([windowFunction()], shared));
    kernel = new wasmApi.Instance(module, { env: { memory } }).exports as MaxPoolGradSimd;
  } catch {
    kernel = null;
  }
  instances.set(memory, kernel);
  return kernel;
}
