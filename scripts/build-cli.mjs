// Bundles the `radfed` command and its worker into dist/cli, so the command starts without compiling
// TypeScript (tsx) on every run: startup matters when a run de-identifies a few thousand files.
// bin/radfed.js uses the bundle only while it is newer than every source file, and tsx otherwise,
// so an edited source tree never runs stale code. Runs on `npm ci` (prepare) and `npm run build`.
import { cpSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: {
    main: 'cli/main.ts',
    // The workers, each loaded by URL beside the module that starts it (every chunk lies in dist/cli):
    // the de-identification pool's, and the hub's summation of homomorphic updates (without it the
    // bundled hub found no worker file and a homomorphic round never left 'aggregating').
    'deid-worker-entry': 'main/site/batch/deid-worker.ts',
    'sum-worker-entry': 'hub/homomorphic/sum-worker.ts',
    // The threads of the WebAssembly matrix product (main/site/train/kernels/threaded-gemm.ts).
    'gemm-worker-entry': 'main/site/train/kernels/gemm-worker.ts',
  },
  outdir: 'dist/cli',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Command families are imported on demand (cli/main.ts): each becomes its own chunk.
  splitting: true,
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
// The PS3.15 tables are read at run time relative to the module that loads them.
cpSync('main/site/deid/data', 'dist/cli/data', { recursive: true });
