// Multi-threaded WebAssembly in Node. tfjs-backend-wasm ships a threaded SIMD build but switches it off
// in Node (tensorflow/tfjs#3830), for two reasons we can work around without patching the package:
// - its pthread workers are started from blob: URLs, which Node's Worker cannot load: we write the
//   worker script and the module script to files and hand out their paths while the backend starts;
// - its C++ side caps the XNNPACK thread pool at half the logical cores (one thread on a 2-core
//   machine): while the module starts, we report twice as many cores as the threads we want.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '../../../../shared/node/index.ts';

const require = createRequire(import.meta.url);

interface PthreadWorker {
  unref(): void;
}
interface EmscriptenPthreads {
  unusedWorkers: PthreadWorker[];
  runningWorkers: PthreadWorker[];
}

/** The files Node's Worker loads instead of the blob: URLs tfjs makes. */
function writeThreadScripts(): { workerFile: string; mainFile: string } {
  const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const mainSource = readFileSync(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js'), 'utf8');
  const { wasmWorkerContents } = require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const hash = createHash('sha256').update(mainSource).update(wasmWorkerContents).digest('hex').slice(0, 16);
  const dir = join(os.tmpdir(), `radfed-tfjs-wasm-${hash}`);
  const mainFile = join(dir, 'threaded-simd-main.cjs');
  const workerFile = join(dir, 'threaded-simd-worker.cjs');
  if (!existsSync(workerFile)) {
    mkdirSync(dir, { recursive: true });
    // Inside the worker, the module script arrives as a Blob too: point its object URL at the file.
    const shim = `URL.createObjectURL=()=>${JSON.stringify(mainFile)};URL.revokeObjectURL=()=>{};`;
    const worker = wasmWorkerContents.replace(/\n/g, '\\n').replace(/^"use strict";/, `"use strict";${shim}`);
    writeFileAtomically(mainFile, mainSource);
    writeFileAtomically(workerFile, worker);
  }
  return { workerFile, mainFile };
}

/**
 * Prepares the process so that the next start of the wasm backend gets `threads` threads. Returns a
 * function that undoes the temporary patches; call it once the backend has started (or failed).
 */
export function prepareWasmThreads(threads: number): () => void {
  const { workerFile } = writeThreadScripts();
  const originalCreateObjectUrl = URL.createObjectURL.bind(URL);
  const originalCpus = os.cpus.bind(os);
  URL.createObjectURL = (blob: Blob): string =>
    blob.type === 'application/javascript' ? workerFile : originalCreateObjectUrl(blob);
  os.cpus = (): os.CpuInfo[] => {
    const cpus = originalCpus();
    return Array.from({ length: threads * 2 }, (_, i) => cpus[i % cpus.length]!);
  };
  return () => {
    URL.createObjectURL = originalCreateObjectUrl;
    os.cpus = originalCpus;
  };
}

/** Lets the process exit while pthread workers idle (Emscripten keeps them referenced). */
export function unrefWasmThreads(wasmModule: { PThread?: EmscriptenPthreads }): void {
  const pthreads = wasmModule.PThread;
  if (!pthreads) return;
  for (const worker of [...pthreads.unusedWorkers, ...pthreads.runningWorkers]) worker.unref();
}
