// The hub's addition of a round's encrypted updates, in a worker thread: SEAL's calls are synchronous,
// and at 10M values × 50 sites the sum takes about two minutes on a 2-core VM (docs/benchmarks.md,
// "Homomorphic aggregation"), which on the hub's thread would stall every site's request meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import {
  EncryptedSummation,
  HomomorphicError,
  type SummationParameters,
} from '../../shared/node/homomorphic/index.ts';

export interface SumJob {
  readonly parameters: SummationParameters;
  readonly keyId: Uint8Array;
  readonly frames: readonly Uint8Array[];
}

export type SumReply =
  | { readonly ok: true; readonly sum: Uint8Array }
  | { readonly ok: false; readonly code: string; readonly message: string };

async function sum(job: SumJob): Promise<SumReply> {
  // Opened inside the try: a refusal of the parameters is answered like any other, not thrown out of
  // the worker (which the hub would only see as a worker that died).
  let summation: EncryptedSummation | null = null;
  try {
    summation = await EncryptedSummation.open(job.parameters, Buffer.from(job.keyId));
    return { ok: true, sum: summation.sum(job.frames) };
  } catch (error) {
    if (error instanceof HomomorphicError) return { ok: false, code: error.code, message: error.message };
    throw error;
  } finally {
    summation?.dispose();
  }
}

const reply = await sum(workerData as SumJob);
parentPort?.postMessage(reply, reply.ok ? [reply.sum.buffer as ArrayBuffer] : []);
