// Which product the filter gradient uses on WebAssembly: our SIMD product (simd-gemm.ts, on as many
// threads as the backend's XNNPACK where its memory is shared: threaded-gemm.ts) or XNNPACK's
// BatchMatMul. tfjs's BatchMatMul keeps XNNPACK's
// operator per B tensor and B, the output gradient, is new every step, so XNNPACK packs all of B on
// every call: 1.0–4.5× slower than ours on the reference CNN's four filter-gradient products
// (docs/benchmarks.md, "Our own GEMM"). RADFED_WASM_GEMM=0 keeps XNNPACK's.
import { backendMemory, type WasmMemory } from './simd-kernels.ts';
import { ThreadedGemm } from './threaded-gemm.ts';

const products = new WeakMap<WasmMemory, ThreadedGemm | null>();

/**
 * The threads the backend's XNNPACK computes with (its module's own count; not the package's
 * getThreadsCount, whose import would load and register the wasm backend wherever kernels are loaded).
 */
function backendThreads(backend: unknown): number {
  const tfjs = (backend as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs;
  return tfjs?.getThreadsCount?.() ?? 1;
}

/** Our product bound to the wasm backend's memory, or null where XNNPACK's is to be used. */
export function ownGemmFor(backend: unknown): ThreadedGemm | null {
  if (process.env.RADFED_WASM_GEMM === '0') return null;
  const memory = backendMemory(backend);
  if (!memory) return null;
  let product = products.get(memory);
  if (product === undefined) {
    try {
      product = new ThreadedGemm(memory, backendThreads(backend));
    } catch {
      // No SIMD, or the module did not validate: XNNPACK's product it is.
      product = null;
    }
    products.set(memory, product);
  }
  return product;
}
