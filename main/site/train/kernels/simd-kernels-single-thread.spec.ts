// The single-threaded wasm build (threads: 1, or where threads fail to start) keeps its memory only as
// the module's export, not as `wasmMemory`: the SIMD kernels found no memory there and every
// MaxPoolGrad and im2col ran as JavaScript loops.
import { describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { backendMemory, simdKernelsFor } from './simd-kernels.ts';

describe('WebAssembly SIMD kernels on the single-threaded wasm backend', () => {
  it('find the backend’s memory and bind to it', async () => {
    const report = await selectBackend({ choice: 'wasm', threads: 1 });
    expect(report.threads).toBe(1);
    const memory = backendMemory(tf.backend());
    expect(memory).toBeDefined();
    expect(simdKernelsFor(memory)).not.toBeNull();
  });
});
