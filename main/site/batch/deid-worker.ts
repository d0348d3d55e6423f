// A worker thread of the de-identification pool: reads, de-identifies and writes files itself, so
// pixel data never crosses threads; only paths and one-line outcomes travel as messages, a batch at
// a time.
import { parentPort, workerData } from 'node:worker_threads';
import type { DeidSettings } from '../deid/index.ts';
import { deidentifyFile, OutputWriteError, type FileOutcome } from './deid-file.ts';

interface WorkerSetup {
  outDir: string;
  settings: DeidSettings;
}

export interface WorkerBatch {
  files: Array<{ index: number; input: string }>;
}

export interface WorkerReply {
  outcomes: Array<{ index: number; outcome: FileOutcome }>;
  /** Set when the output could not be written: the run stops (outcomes before it still count). */
  fatal?: { code: string; message: string };
}

const { outDir, settings } = workerData as WorkerSetup;

parentPort?.on('message', (batch: WorkerBatch) => {
  const reply: WorkerReply = { outcomes: [] };
  try {
    for (const { index, input } of batch.files) {
      reply.outcomes.push({ index, outcome: deidentifyFile(input, outDir, settings) });
    }
  } catch (error) {
    if (!(error instanceof OutputWriteError)) throw error;
    reply.fatal = { code: error.code, message: error.message };
  }
  parentPort?.postMessage(reply);
});
