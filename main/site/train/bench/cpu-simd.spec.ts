// The SIMD width stated beside CPU training figures, read from /proc/cpuinfo's flags.
import { describe, expect, it } from 'vitest';
import { cpuSimd } from './cpu-simd.ts';

describe('cpuSimd', () => {
  it('names the widest vector the CPU has', () => {
    expect(cpuSimd('processor\t: 0\nflags\t\t: fpu sse2 avx avx2 avx512f avx512bw\n')).toEqual({
      bits: 512,
      name: 'AVX-512 (512-bit)',
    });
    expect(cpuSimd('flags\t\t: fpu sse2 avx avx2 fma\n').bits).toBe(256);
    expect(cpuSimd('Features\t: fp asimd evtstrm\n').bits).toBe(128);
    expect(cpuSimd('').name).toBe('unknown SIMD width');
  });
});
