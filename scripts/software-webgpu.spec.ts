// The software GPU the WebGPU specs run on where a machine has none (scripts/software-webgpu.ts), and a
// guard that they do run: on a machine with Debian's Chromium (CI installs it), Dawn must find an adapter,
// so the WGSL kernels' specs are compared with the CPU for real rather than skipped.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeDawn } from '../main/site/train/backend/index.ts';
import { softwareWebgpuEnv } from './software-webgpu.ts';

const temp = mkdtempSync(path.join(os.tmpdir(), 'radfed-swiftshader-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const systemVulkan = existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1');
/** Where scripts/install-lavapipe.sh sets up lavapipe. */
const LAVAPIPE = '/usr/local/lib/radfed-lavapipe';

describe('softwareWebgpuEnv', () => {
  it.skipIf(systemVulkan)(
    "points Dawn at Chromium's SwiftShader through a folder that holds only the loader (needs no system Vulkan)",
    () => {
      const libs = path.join(temp, 'chromium');
      rmSync(libs, { recursive: true, force: true });
      const cache = path.join(temp, 'cache');
      const noLavapipe = path.join(temp, 'no-lavapipe');
      expect(softwareWebgpuEnv(cache, libs, noLavapipe)).toEqual({});
      mkdirSync(libs, { recursive: true });
      // Chromium's folder holds other libraries (EGL, GLES) that must not reach the library path.
      for (const name of ['libvulkan.so.1', 'libvk_swiftshader.so', 'libEGL.so']) {
        writeFileSync(path.join(libs, name), '');
      }
      const env = softwareWebgpuEnv(cache, libs, noLavapipe);
      const dir = path.join(cache, 'software-webgpu');
      expect(env.LD_LIBRARY_PATH?.split(':')[0]).toBe(dir);
      expect(existsSync(path.join(dir, 'libvulkan.so.1'))).toBe(true);
      expect(existsSync(path.join(dir, 'libEGL.so'))).toBe(false);
      const manifest = JSON.parse(readFileSync(env.VK_ICD_FILENAMES!, 'utf8')) as {
        ICD: { library_path: string };
      };
      expect(manifest.ICD.library_path).toBe(path.join(libs, 'libvk_swiftshader.so'));
      // Called again (every test run), it leaves the folder as it is.
      expect(softwareWebgpuEnv(cache, libs, noLavapipe)).toEqual(env);
      // Lavapipe, once scripts/install-lavapipe.sh has set it up, is preferred, through the same loader.
      const lavapipe = path.join(temp, 'lavapipe');
      mkdirSync(lavapipe, { recursive: true });
      writeFileSync(path.join(lavapipe, 'lvp_icd.json'), '{}');
      expect(softwareWebgpuEnv(cache, libs, lavapipe)).toEqual(env); // no driver library yet
      writeFileSync(path.join(lavapipe, 'libvulkan_lvp.so'), '');
      expect(softwareWebgpuEnv(cache, libs, lavapipe)).toEqual({
        LD_LIBRARY_PATH: env.LD_LIBRARY_PATH,
        VK_ICD_FILENAMES: path.join(lavapipe, 'lvp_icd.json'),
      });
    },
  );

  it.skipIf(!existsSync('/usr/lib/chromium/libvk_swiftshader.so') && !systemVulkan)(
    'gives the WebGPU specs an adapter wherever Chromium or a Vulkan driver is installed (needs Chromium or a GPU)',
    async () => {
      const dawn = await probeDawn();
      expect(dawn).toMatchObject({ ok: true });
    },
  );

  // Mixed precision (issue 21) needs an adapter with `shader-f16`; SwiftShader has none, lavapipe has.
  it.skipIf(!existsSync(path.join(LAVAPIPE, 'lvp_icd.json')) || systemVulkan)(
    'runs float16 WGSL on lavapipe, rounding as IEEE binary16 does (needs lavapipe: scripts/install-lavapipe.sh)',
    async () => {
      expect(process.env.VK_ICD_FILENAMES).toBe(path.join(LAVAPIPE, 'lvp_icd.json'));
      const { create, globals } = await import('webgpu');
      Object.assign(globalThis, globals);
      const adapter = await create([]).requestAdapter();
      expect(adapter?.features.has('shader-f16')).toBe(true);
      const device = await adapter!.requestDevice({ requiredFeatures: ['shader-f16'] });
      // Values stored as float16 (half the bytes of float32, mixed precision's point), then read back as
      // float32 by a second entry point: a conversion kept in registers may never be rounded.
      const values = Float32Array.of(1 / 3, 65504, 1e-8, -2.5);
      const buffer = (size: number, usage: number) => device.createBuffer({ size, usage });
      const wide = buffer(16, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
      const half = buffer(8, GPUBufferUsage.STORAGE);
      device.queue.writeBuffer(wide, 0, values);
      const module = device.createShaderModule({
        code: `enable f16;
          @group(0) @binding(0) var<storage, read_write> wide : array<f32, 4>;
          @group(0) @binding(1) var<storage, read_write> half : array<f16, 4>;
          @compute @workgroup_size(4) fn narrow(@builtin(local_invocation_index) i : u32) { half[i] = f16(wide[i]); }
          @compute @workgroup_size(4) fn widen(@builtin(local_invocation_index) i : u32) { wide[i] = f32(half[i]); }`,
      });
      const layout = device.createBindGroupLayout({
        entries: [0, 1].map((binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'storage' as const },
        })),
      });
      const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
      const group = device.createBindGroup({
        layout,
        entries: [wide, half].map((b, binding) => ({ binding, resource: { buffer: b } })),
      });
      const read = buffer(16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      const encoder = device.createCommandEncoder();
      for (const entryPoint of ['narrow', 'widen']) {
        const pass = encoder.beginComputePass();
        pass.setPipeline(
          device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint } }),
        );
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(1);
        pass.end();
      }
      encoder.copyBufferToBuffer(wide, 0, read, 0, 16);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      // 1/3 to binary16's nearest, 65504 its largest, 1e-8 below half its smallest subnormal.
      expect(Array.from(new Float32Array(read.getMappedRange()))).toEqual([0.333251953125, 65504, 0, -2.5]);
      device.destroy();
    },
  );
});
