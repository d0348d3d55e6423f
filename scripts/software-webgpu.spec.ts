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

describe('softwareWebgpuEnv', () => {
  it.skipIf(systemVulkan)(
    "points Dawn at Chromium's SwiftShader through a folder that holds only the loader (needs no system Vulkan)",
    () => {
      const libs = path.join(temp, 'chromium');
      rmSync(libs, { recursive: true, force: true });
      const cache = path.join(temp, 'cache');
      expect(softwareWebgpuEnv(cache, libs)).toEqual({});
      mkdirSync(libs, { recursive: true });
      // Chromium's folder holds other libraries (EGL, GLES) that must not reach the library path.
      for (const name of ['libvulkan.so.1', 'libvk_swiftshader.so', 'libEGL.so']) {
        writeFileSync(path.join(libs, name), '');
      }
      const env = softwareWebgpuEnv(cache, libs);
      const dir = path.join(cache, 'software-webgpu');
      expect(env.LD_LIBRARY_PATH?.split(':')[0]).toBe(dir);
      expect(existsSync(path.join(dir, 'libvulkan.so.1'))).toBe(true);
      expect(existsSync(path.join(dir, 'libEGL.so'))).toBe(false);
      const manifest = JSON.parse(readFileSync(env.VK_ICD_FILENAMES!, 'utf8')) as {
        ICD: { library_path: string };
      };
      expect(manifest.ICD.library_path).toBe(path.join(libs, 'libvk_swiftshader.so'));
      // Called again (every test run), it leaves the folder as it is.
      expect(softwareWebgpuEnv(cache, libs)).toEqual(env);
    },
  );

  it.skipIf(!existsSync('/usr/lib/chromium/libvk_swiftshader.so') && !systemVulkan)(
    'gives the WebGPU specs an adapter wherever Chromium or a Vulkan driver is installed (needs Chromium or a GPU)',
    async () => {
      const dawn = await probeDawn();
      expect(dawn).toMatchObject({ ok: true });
    },
  );
});
