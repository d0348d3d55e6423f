// Runs de-identification over many files on all cores: the calling thread and one worker thread per
// further job, each fed batches of neighbouring files (see work-ranges.ts). The calling thread works
// too because a worker costs a tenth of a second to start, and would otherwise sit idle; it yields
// between its batches so the workers' replies are read and they are fed without waiting. Outcomes
// come back a batch per message, and are returned in input order; copies of one instance are settled
// after the run (same-instance.ts).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DeidSettings } from '../deid/index.ts';
import { deidentifyFile, OutputWriteError, type FileOutcome } from './deid-file.ts';
import type { WorkerBatch, WorkerReply } from './deid-worker.ts';
import { beginRun, endRun } from './run-marker.ts';
import { keepFirstOfEachInstance } from './same-instance.ts';
import { WorkRanges } from './work-ranges.ts';

export interface DeidBatchOptions {
  inputs: readonly string[];
  outDir: string;
  settings: DeidSettings;
  /**
   * Threads that de-identify, the calling one included; 1 uses no worker. Default: the number of
   * cores, with one worker per 64 files at most.
   */
  jobs?: number;
  onOutcome?(outcome: FileOutcome, done: number): void;
}

/** Files per batch: enough to make messages rare, few enough to balance the load at the end. */
const BATCH_SIZE = 8;
/** Batches queued per worker, so it has the next one while its reply waits for the calling thread. */
const BATCHES_IN_FLIGHT = 3;
/** By default a worker is started for every this many files only: it takes about 0.1 s to start. */
const FILES_PER_WORKER = 64;
/** The calling thread's slot in the work ranges; workers are 1..jobs-1. */
const CALLER = 0;

export async function deidentifyBatch(options: DeidBatchOptions): Promise<FileOutcome[]> {
  beginRun(options.outDir);
  try {
    const outcomes = await deidentifyAll(options);
    keepFirstOfEachInstance(outcomes, (index) =>
      deidentifyFile(options.inputs[index] as string, options.outDir, options.settings),
    );
    return outcomes;
  } finally {
    endRun(options.outDir);
  }
}

function deidentifyAll(options: DeidBatchOptions): Promise<FileOutcome[]> {
  const byDefault = Math.min(
    availableParallelism(),
    1 + Math.floor(options.inputs.length / FILES_PER_WORKER),
  );
  const jobs = Math.max(1, Math.min(options.jobs ?? byDefault, options.inputs.length));
  const { inputs } = options;
  const outcomes = new Array<FileOutcome>(inputs.length);
  const ranges = new WorkRanges(inputs.length, jobs);
  const workers: Worker[] = [];
  let done = 0;

  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = (error: Error | null) => {
      if (finished) return;
      finished = true;
      for (const worker of workers) void worker.terminate();
      if (error) reject(error);
      else resolve(outcomes);
    };
    const record = (index: number, outcome: FileOutcome) => {
      outcomes[index] = outcome;
      done++;
      options.onOutcome?.(outcome, done);
    };
    const feed = (worker: Worker, slot: number) => {
      const indices = ranges.take(slot, BATCH_SIZE);
      if (indices.length === 0) return;
      const batch: WorkerBatch = {
        files: indices.map((index) => ({ index, input: inputs[index] as string })),
      };
      worker.postMessage(batch);
    };

    for (let slot = 1; slot < jobs; slot++) {
      const worker = new Worker(new URL('./deid-worker-entry.js', import.meta.url), {
        workerData: { outDir: options.outDir, settings: options.settings },
      });
      workers.push(worker);
      worker.on('message', (reply: WorkerReply) => {
        if (finished) return;
        for (const { index, outcome } of reply.outcomes) record(index, outcome);
        if (reply.fatal) finish(new OutputWriteError(reply.fatal.code, reply.fatal.message));
        else if (done === inputs.length) finish(null);
        else feed(worker, slot);
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => {
        if (!finished)
          finish(new Error(`A de-identification worker stopped unexpectedly (exit code ${code}).`));
      });
      for (let k = 0; k < BATCHES_IN_FLIGHT; k++) feed(worker, slot);
    }

    const workHere = () => {
      if (finished) return;
      const indices = ranges.take(CALLER, BATCH_SIZE);
      try {
        for (const index of indices) {
          record(index, deidentifyFile(inputs[index] as string, options.outDir, options.settings));
        }
      } catch (error) {
        finish(error as Error);
        return;
      }
      if (done === inputs.length) finish(null);
      else if (indices.length > 0) setImmediate(workHere);
      // Otherwise every input is handed out: the workers' last replies end the run.
    };
    workHere();
  });
}
