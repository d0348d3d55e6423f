// The CPU's widest SIMD, to state beside every CPU training figure: PyTorch's native kernels use it,
// while WebAssembly SIMD is 128 bits wide on every CPU (the ratio to PyTorch depends on it: 0.55–0.59
// on an AVX2 machine, 0.24 on an AVX-512 one of the same kind, docs/benchmarks.md).
import { readFileSync } from 'node:fs';

export interface CpuSimd {
  /** Widest vector in bits the CPU has (512 AVX-512, 256 AVX2, 128 SSE/NEON), 0 when unknown. */
  bits: number;
  /** "AVX-512 (512-bit)". */
  name: string;
}

/** From the flags of /proc/cpuinfo (Linux); elsewhere unknown. */
export function cpuSimd(cpuinfo?: string): CpuSimd {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return { bits: 0, name: 'unknown SIMD width' };
    }
  }
  const flags = new Set((/^(flags|Features)\s*:(.*)$/m.exec(text)?.[2] ?? '').trim().split(/\s+/));
  if (flags.has('avx512f')) return { bits: 512, name: 'AVX-512 (512-bit)' };
  if (flags.has('avx2')) return { bits: 256, name: 'AVX2 (256-bit)' };
  if (flags.has('sse2') || flags.has('asimd')) return { bits: 128, name: '128-bit SIMD' };
  return { bits: 0, name: 'unknown SIMD width' };
}
