import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { softwareWebgpuEnv } from './scripts/software-webgpu.ts';

export default defineConfig({
  test: {
    include: [
      'main/**/*.spec.ts',
      'renderer/**/*.spec.ts',
      'shared/**/*.spec.ts',
      'hub/**/*.spec.ts',
      'cli/**/*.spec.ts',
      'scripts/**/*.spec.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // SwiftShader for the WebGPU specs where the machine has no GPU (scripts/software-webgpu.ts).
    env: softwareWebgpuEnv(fileURLToPath(new URL('node_modules/.cache', import.meta.url))),
  },
});
