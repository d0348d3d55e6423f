// WebGPU in Node through Dawn (the `webgpu` package): any GPU with Vulkan, D3D12 or Metal drivers.
// tfjs-backend-webgpu registers itself only where `navigator.gpu` exists, so the Dawn entry point is
// installed on globalThis before that package is loaded.
import { existsSync } from 'node:fs';

export interface DawnAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** True for a software adapter (SwiftShader, lavapipe): a "GPU" that runs on the CPU. */
  isFallbackAdapter?: boolean;
}

export type DawnProbe =
  { ok: true; device: string; api: string; software: boolean } | { ok: false; reason: string };

interface GpuLike {
  requestAdapter(options?: object): Promise<{ info?: DawnAdapterInfo } | null>;
}

/** The native graphics API Dawn uses on this platform, for the report. */
export function dawnApi(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return 'D3D12';
  if (platform === 'darwin') return 'Metal';
  return 'Vulkan';
}

/** On Linux, Dawn needs the Vulkan loader: say so plainly when it is missing. */
export function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
    '/lib64',
  ];
  return dirs.some((dir) => existsSync(`${dir}/libvulkan.so.1`));
}

/** A name people recognise: "NVIDIA H200", or vendor and architecture when the driver gives no name. */
export function describeAdapter(info: DawnAdapterInfo | undefined): string {
  const description = info?.description?.trim();
  if (description) return description;
  const parts = [info?.vendor, info?.architecture, info?.device].map((p) => p?.trim()).filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : 'an unnamed GPU';
}

/** SwiftShader and Mesa's lavapipe (llvmpipe) emulate a GPU on the CPU, slower than WebAssembly there. */
export function isSoftwareAdapter(info: DawnAdapterInfo | undefined): boolean {
  if (info?.isFallbackAdapter) return true;
  const names = [info?.architecture, info?.device, info?.description].join(' ').toLowerCase();
  return /swiftshader|llvmpipe|lavapipe/.test(names);
}

let installed: Promise<GpuLike> | undefined;

async function installDawn(): Promise<GpuLike> {
  const dawn = (await import('webgpu')) as unknown as {
    create(flags: string[]): GpuLike;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const current = (globalThis as { navigator?: object }).navigator;
  if (current) Object.defineProperty(current, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

/** Loads Dawn, asks for a high-performance adapter and says what it found, or why not. */
export async function probeDawn(): Promise<DawnProbe> {
  const api = dawnApi();
  // Without the loader Dawn finds no adapter anyway, and loading it prints a native warning that
  // would only alarm the person reading the log: answer in words instead.
  if (!vulkanLoaderPresent()) {
    return {
      ok: false,
      reason: `no GPU adapter found (${api}: the Vulkan loader libvulkan.so.1 is not installed)`,
    };
  }
  let gpu: GpuLike;
  try {
    installed ??= installDawn();
    gpu = await installed;
  } catch (error) {
    installed = undefined;
    return { ok: false, reason: `the Dawn WebGPU module did not load (${(error as Error).message})` };
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) {
    return { ok: false, reason: `no GPU adapter found (${api})` };
  }
  return { ok: true, device: describeAdapter(adapter.info), api, software: isSoftwareAdapter(adapter.info) };
}
