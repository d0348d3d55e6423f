// Builds the Electron main process and preload into dist/app (Electron loads neither TypeScript nor,
// for a sandboxed preload, ES modules). The renderer is built by Vite into dist/renderer beside it.
import { cpSync } from 'node:fs';
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };

await build({
  ...common,
  entryPoints: ['main/app/main.ts'],
  outfile: 'dist/app/main.js',
  format: 'esm',
  // Native and large packages stay in node_modules (better-sqlite3 is rebuilt for Electron when packaging).
  packages: 'external',
});

await build({
  ...common,
  entryPoints: ['main/app/preload.ts'],
  outfile: 'dist/app/preload.cjs',
  format: 'cjs',
  external: ['electron'],
});

// The PS3.15 tables are read at run time relative to the module that loads them (now dist/app/main.js).
cpSync('main/site/deid/data', 'dist/app/data', { recursive: true });
