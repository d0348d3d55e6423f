// Backend choice and its report in words: on a machine without a GPU adapter (this one) WebAssembly
// trains and the report says why WebGPU and native TensorFlow were not used.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeAdapter, describeBackend, probeDawn, selectBackend, tf } from './index.ts';
import { isSoftwareAdapter } from './webgpu-dawn.ts';

const dawn = await probeDawn();

describe('selectBackend', () => {
  it('picks the first backend that works and says why each better one was not used', async () => {
    const report = await selectBackend();
    expect(report.notUsed[0]).toMatchObject({ backend: 'tensorflow' });
    expect(report.notUsed[0]!.reason).toMatch(/tfjs-node/);
    if (dawn.ok && !dawn.software) {
      expect(report.name).toBe('webgpu');
      expect(report.device).toContain('via WebGPU');
    } else {
      // No adapter, or only a software one (SwiftShader in CI): WebAssembly trains, and says why.
      expect(report.name).toBe('wasm');
      const reason = report.notUsed[1]!.reason;
      expect(report.notUsed[1]!.backend).toBe('webgpu');
      if (dawn.ok) {
        expect(reason).toBe(
          `only a software GPU was found (${dawn.device}, which runs on the CPU, slower than WebAssembly)`,
        );
      } else {
        expect(reason).toBe(dawn.reason);
        expect(dawn.reason).toMatch(/^no GPU adapter found \((Vulkan|D3D12|Metal)/);
      }
      const text = describeBackend(report);
      expect(text).toMatch(/^Training on CPU .*via WebAssembly \(SIMD, \d+ threads?\)\./);
      expect(text).toContain(`WebGPU not used: ${reason}.`);
    }
    expect(tf.getBackend()).toBe(report.name);
  });

  it('uses as many WebAssembly threads as the machine has, and registers its own kernels there', async () => {
    const report = await selectBackend({ choice: 'wasm' });
    expect(report.threads).toBe(os.availableParallelism());
    expect(report.kernels.join(', ')).toMatch(/Conv2DBackpropFilter \(wasm\).*MaxPoolGrad \(wasm\)/);
  });

  it('follows a setting that names a backend, and fails with the reason when it cannot start', async () => {
    const cpu = await selectBackend({ choice: 'cpu' });
    expect(cpu.device).toMatch(/plain JavaScript/);
    expect(tf.getBackend()).toBe('cpu');
    const native = await selectBackend({ choice: 'tensorflow' }).catch((e: Error & { code?: string }) => e);
    if (native instanceof Error) {
      expect(native).toMatchObject({ code: 'backend-unavailable' });
      expect(native.message).toMatch(
        /tensorflow: (tfjs-node is not installed|@tensorflow\/tfjs-node is installed but)/,
      );
    }
    await selectBackend({ choice: 'wasm' });
  });
});

describe('describeAdapter', () => {
  it('names the GPU as its driver does, else by vendor and architecture', () => {
    expect(describeAdapter({ description: 'NVIDIA H200', vendor: 'nvidia' })).toBe('NVIDIA H200');
    expect(describeAdapter({ vendor: 'amd', architecture: 'rdna-3' })).toBe('amd rdna-3');
    expect(describeAdapter(undefined)).toBe('an unnamed GPU');
  });

  it('tells a software GPU (SwiftShader, lavapipe) from a real one', () => {
    expect(isSoftwareAdapter({ architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' })).toBe(
      true,
    );
    expect(isSoftwareAdapter({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'x', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ description: 'NVIDIA H200', vendor: 'nvidia' })).toBe(false);
  });

  it.skipIf(!dawn.ok)(
    'trains on a software GPU only when WebGPU is named (needs a WebGPU adapter)',
    async () => {
      const report = await selectBackend({ choice: 'webgpu' });
      expect(report.name).toBe('webgpu');
      if (dawn.ok && dawn.software)
        expect(report.device).toMatch(/via WebGPU \(Vulkan, a software GPU on the CPU\)$/);
      const product = await tf.tidy(() => tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]))).data();
      expect([...product]).toEqual([4, 4, 4, 4, 4, 4]);
    },
  );
});
