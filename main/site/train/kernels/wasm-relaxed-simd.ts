// Whether this process can compile WebAssembly relaxed SIMD (f32x4.relaxed_madd: a fused multiply-add
// where the CPU has one). Node 20's V8 (11.3) validates it only behind --experimental-wasm-relaxed-simd;
// V8 reads its wasm feature flags when it validates a module, so setting the flag at run time (before
// our kernels compile) is enough, and tfjs's own module is unaffected (it uses none of it).
// RADFED_WASM_RELAXED_SIMD=0 keeps plain SIMD128 (separate multiply and add), for comparisons.
import v8 from 'node:v8';
import { op } from './wasm-bytecode.ts';

// (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd)
const body = [0x00, ...op.get(0), ...op.get(1), ...op.get(2), ...op.f32x4RelaxedMadd, ...op.end];
const probe = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...[0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b],
  ...[0x03, 0x02, 0x01, 0x00],
  ...[0x0a, body.length + 2, 0x01, body.length, ...body],
]);

interface WasmValidate {
  validate(bytes: Uint8Array): boolean;
}
const validate = (bytes: Uint8Array): boolean =>
  (globalThis as unknown as { WebAssembly: WasmValidate }).WebAssembly.validate(bytes);

let known: boolean | undefined;

/**
 * True when kernels may use relaxed SIMD: validated as it is, or after turning V8's flag on. False
 * where the engine has no such feature, or RADFED_WASM_RELAXED_SIMD=0 asks for plain SIMD.
 */
export function relaxedSimdAvailable(): boolean {
  if (process.env.RADFED_WASM_RELAXED_SIMD === '0') return false;
  if (known !== undefined) return known;
  if (!validate(probe)) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // An engine without the flag: plain SIMD it is.
    }
  }
  known = validate(probe);
  return known;
}
