// A software GPU for the WebGPU specs on machines without one, so every WGSL kernel runs for real in CI
// and is compared with the CPU backend, instead of skipping. Two drivers can serve, both running on the CPU:
// - Mesa's lavapipe from bookworm-backports, unpacked by scripts/install-lavapipe.sh: preferred, as it ran
//   tfjs's WebGPU kernels about five times faster than SwiftShader here and offers `shader-f16`;
// - Google's SwiftShader, which Debian's Chromium ships in /usr/lib/chromium.
// Either is reached through the Vulkan loader in Chromium's folder, so no system package changes. Debian
// 12's own lavapipe (Mesa 22.3) lacks a feature Dawn requires (../shared/REFERENCES.md).
//
// Only the test processes get it, through the environment Vitest starts its workers with: the loader
// is found through LD_LIBRARY_PATH, which the dynamic linker reads once, at start. Where the machine has
// its own Vulkan loader (a GPU machine), nothing changes and Dawn uses the real GPU. The product never
// trains on a software GPU: `backend: auto` refuses one (backend/webgpu-dawn.ts).
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const CHROMIUM_LIBS = '/usr/lib/chromium';
/** Where scripts/install-lavapipe.sh puts lavapipe's library and manifest. */
const LAVAPIPE_DIR = '/usr/local/lib/radfed-lavapipe';
const SYSTEM_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
];

/**
 * The environment that gives Dawn lavapipe, or SwiftShader where lavapipe is not set up; {} where the
 * machine has a Vulkan loader of its own, or no Chromium. `cacheDir` receives a folder holding only the
 * loader's link and SwiftShader's manifest, so that nothing else of Chromium's is put on the library path.
 */
export function softwareWebgpuEnv(
  cacheDir: string,
  libs = CHROMIUM_LIBS,
  lavapipe = LAVAPIPE_DIR,
): Record<string, string> {
  if (process.platform !== 'linux' || SYSTEM_LOADERS.some((loader) => existsSync(loader))) return {};
  const loader = path.join(libs, 'libvulkan.so.1');
  if (!existsSync(loader)) return {};
  const lavapipeManifest = path.join(lavapipe, 'lvp_icd.json');
  const lavapipeReady = existsSync(lavapipeManifest) && existsSync(path.join(lavapipe, 'libvulkan_lvp.so'));
  const driver = path.join(libs, 'libvk_swiftshader.so');
  if (!lavapipeReady && !existsSync(driver)) return {};
  const dir = path.join(cacheDir, 'software-webgpu');
  mkdirSync(dir, { recursive: true });
  const link = path.join(dir, 'libvulkan.so.1');
  if (!existsSync(link)) symlinkSync(loader, link);
  const inherited = process.env.LD_LIBRARY_PATH;
  const libraryPath = inherited ? `${dir}:${inherited}` : dir;
  if (lavapipeReady) return { LD_LIBRARY_PATH: libraryPath, VK_ICD_FILENAMES: lavapipeManifest };
  const manifest = path.join(dir, 'vk_swiftshader_icd.json');
  const text = JSON.stringify({
    file_format_version: '1.0.0',
    ICD: { library_path: driver, api_version: '1.0.5' },
  });
  if (!existsSync(manifest) || readFileSync(manifest, 'utf8') !== text) writeFileSync(manifest, text);
  return { LD_LIBRARY_PATH: libraryPath, VK_ICD_FILENAMES: manifest };
}
