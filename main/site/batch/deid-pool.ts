// Runs de-identification over many files on all cores: one worker thread per job, each kept busy
// with two files in flight. Outcomes come back in input order.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DeidSettings } from '../deid/index.ts';
import { deidentifyFile, OutputWriteError, type FileOutcome } from './deid-file.ts';

export interface DeidBatchOptions {
  inputs: readonly string[];
  outDir: string;
  settings: DeidSettings;
  /** Worker threads; 1 runs on the calling thread. Default: the number of cores. */
  jobs?: number;
  onOutcome?(outcome: FileOutcome, done: number): void;
}

type WorkerReply = { index: number; outcome?: FileOutcome; fatal?: { code: string; message: string } };

const IN_FLIGHT_PER_WORKER = 2;

export async function deidentifyBatch(options: DeidBatchOptions): Promise<FileOutcome[]> {
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), options.inputs.length));
  if (jobs === 1) return deidentifyOnThisThread(options);
  return deidentifyOnWorkers(options, jobs);
}

function deidentifyOnThisThread(options: DeidBatchOptions): FileOutcome[] {
  const outcomes: FileOutcome[] = [];
  for (const input of options.inputs) {
    const outcome = deidentifyFile(input, options.outDir, options.settings);
    outcomes.push(outcome);
    options.onOutcome?.(outcome, outcomes.length);
  }
  return outcomes;
}

function deidentifyOnWorkers(options: DeidBatchOptions, jobs: number): Promise<FileOutcome[]> {
  const { inputs } = options;
  const outcomes = new Array<FileOutcome>(inputs.length);
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  return new Promise((resolve, reject) => {
    let failed = false;
    const stopAll = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const worker of workers) void worker.terminate();
      reject(error);
    };
    const feed = (worker: Worker) => {
      if (next < inputs.length) worker.postMessage({ index: next, input: inputs[next++] });
    };
    for (let i = 0; i < jobs; i++) {
      const worker = new Worker(new URL('./deid-worker-entry.js', import.meta.url), {
        workerData: { outDir: options.outDir, settings: options.settings },
      });
      workers.push(worker);
      worker.on('message', (reply: WorkerReply) => {
        if (reply.fatal) {
          stopAll(new OutputWriteError(reply.fatal.code, reply.fatal.message));
          return;
        }
        const outcome = reply.outcome as FileOutcome;
        outcomes[reply.index] = outcome;
        done++;
        options.onOutcome?.(outcome, done);
        if (done === inputs.length) {
          for (const w of workers) void w.terminate();
          resolve(outcomes);
        } else feed(worker);
      });
      worker.on('error', (error) => stopAll(error));
      for (let k = 0; k < IN_FLIGHT_PER_WORKER; k++) feed(worker);
    }
  });
}
