// A software GPU for the WebGPU specs on machines without one. Debian's Chromium ships Google's
// SwiftShader (a Vulkan driver that runs on the CPU) and a Vulkan loader in /usr/lib/chromium; Dawn
// (the `webgpu` package) finds an adapter through them, so every WGSL kernel runs for real in CI and is
// compared with the CPU backend, instead of skipping. Debian 12's own software Vulkan (lavapipe) lacks
// features Dawn needs (../shared/REFERENCES.md), and SwiftShader is not packaged on its own.
//
// Only the test processes get it, through the environment Vitest starts its workers with: the loader
// is found through LD_LIBRARY_PATH, which the dynamic linker reads once, at start. Where the machine has
// its own Vulkan loader (a GPU machine), nothing changes and Dawn uses the real GPU. The product never
// trains on SwiftShader: `backend: auto` refuses a software adapter (backend/webgpu-dawn.ts).
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const CHROMIUM_LIBS = '/usr/lib/chromium';
const SYSTEM_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
];

/**
 * The environment that gives Dawn SwiftShader, or {} where the machine has a Vulkan loader of its own,
 * or no Chromium. `cacheDir` receives a folder holding only the loader's link and the driver's manifest,
 * so that nothing else of Chromium's is put on the library path.
 */
export function softwareWebgpuEnv(cacheDir: string, libs = CHROMIUM_LIBS): Record<string, string> {
  if (process.platform !== 'linux' || SYSTEM_LOADERS.some((loader) => existsSync(loader))) return {};
  const loader = path.join(libs, 'libvulkan.so.1');
  const driver = path.join(libs, 'libvk_swiftshader.so');
  if (!existsSync(loader) || !existsSync(driver)) return {};
  const dir = path.join(cacheDir, 'software-webgpu');
  mkdirSync(dir, { recursive: true });
  const link = path.join(dir, 'libvulkan.so.1');
  if (!existsSync(link)) symlinkSync(loader, link);
  const manifest = path.join(dir, 'vk_swiftshader_icd.json');
  const text = JSON.stringify({
    file_format_version: '1.0.0',
    ICD: { library_path: driver, api_version: '1.0.5' },
  });
  if (!existsSync(manifest) || readFileSync(manifest, 'utf8') !== text) writeFileSync(manifest, text);
  const inherited = process.env.LD_LIBRARY_PATH;
  return {
    LD_LIBRARY_PATH: inherited ? `${dir}:${inherited}` : dir,
    VK_ICD_FILENAMES: manifest,
  };
}
