// A worker thread of the de-identification pool: reads, de-identifies and writes files itself, so
// pixel data never crosses threads; only paths and one-line outcomes travel as messages.
import { parentPort, workerData } from 'node:worker_threads';
import type { DeidSettings } from '../deid/index.ts';
import { deidentifyFile, OutputWriteError } from './deid-file.ts';

interface WorkerSetup {
  outDir: string;
  settings: DeidSettings;
}

const { outDir, settings } = workerData as WorkerSetup;

parentPort?.on('message', (message: { index: number; input: string }) => {
  try {
    const outcome = deidentifyFile(message.input, outDir, settings);
    parentPort?.postMessage({ index: message.index, outcome });
  } catch (error) {
    if (!(error instanceof OutputWriteError)) throw error;
    parentPort?.postMessage({ index: message.index, fatal: { code: error.code, message: error.message } });
  }
});
