// Backend choice and its report in words: on a machine without a GPU adapter (this one) WebAssembly
// trains and the report says why WebGPU and native TensorFlow were not used.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeAdapter, describeBackend, probeDawn, selectBackend, tf } from './index.ts';

describe('selectBackend', () => {
  it('picks the first backend that works and says why each better one was not used', async () => {
    const dawn = await probeDawn();
    const report = await selectBackend();
    expect(report.notUsed[0]).toMatchObject({ backend: 'tensorflow' });
    expect(report.notUsed[0]!.reason).toMatch(/tfjs-node/);
    if (dawn.ok) {
      expect(report.name).toBe('webgpu');
      expect(report.device).toContain('via WebGPU');
    } else {
      expect(report.name).toBe('wasm');
      expect(report.notUsed[1]).toEqual({ backend: 'webgpu', reason: dawn.reason });
      expect(dawn.reason).toMatch(/^no GPU adapter found \((Vulkan|D3D12|Metal)/);
      const text = describeBackend(report);
      expect(text).toMatch(/^Training on CPU .*via WebAssembly \(SIMD, \d+ threads?\)\./);
      expect(text).toContain(`WebGPU not used: ${dawn.reason}.`);
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
});
